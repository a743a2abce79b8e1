#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang-22, AddressSanitizer, UBSan) into
# build-fuzz/ (or $FUZZ_BUILD_DIR) and runs them through CTest: each
# fuzzer's regression corpus, then each fuzzer for $FUZZ_SECONDS seconds
# (default 30) from the seeds test/ provides.
#
#   bash scripts/fuzz.sh                   # what CI runs (scripts/test.sh)
#   FUZZ_SECONDS=3600 bash scripts/fuzz.sh # a longer local run
#
# A crash fails its entry and leaves the input in
# build-fuzz/test/fuzz/<fuzzer>/crash-*; once fixed, it goes into
# test/fuzz/regressions/<fuzzer>/ so that every build runs it again.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${FUZZ_BUILD_DIR:-build-fuzz}
tools=$(realpath "${BUILD_DIR:-build}")/bin
jobs=${JOBS:-$(nproc)}
CC=clang-22 CXX=clang++-22 cmake -G Ninja -S . -B "$build" \
  -DCMAKE_BUILD_TYPE=Release -DTESSERA_BUILD_FUZZERS=ON \
  -DTESSERA_BUILD_TESTS=OFF -DTESSERA_FUZZ_SECONDS="${FUZZ_SECONDS:-30}" \
  -DTESSERA_FUZZ_TOOLS_DIR="$tools" >/dev/null
cmake --build "$build" -j "$jobs" --target tessera-fuzz-onnx \
  tessera-fuzz-onnx-text tessera-fuzz-npy tessera-fuzz-tsr \
  tessera-fuzz-tokenizer tessera-fuzz-image
ctest --test-dir "$build" --output-on-failure -j "$jobs"

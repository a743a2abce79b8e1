#!/usr/bin/env bash
# Sets up, builds, and runs every test (lit + FileCheck, GoogleTest) through
# CTest, then the fuzzers (scripts/fuzz.sh: their regression corpora and a
# bounded run of each, in a sanitizer build of their own). The Khronos
# validation layer is on in the runtime tests.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}

bash scripts/setup.sh
bash scripts/build.sh
ctest --test-dir "$build" --output-on-failure -j "${JOBS:-$(nproc)}"
bash scripts/fuzz.sh

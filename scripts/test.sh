#!/usr/bin/env bash
# Sets up, builds, and runs every test (lit + FileCheck, GoogleTest) through
# CTest. The Khronos validation layer is on in the runtime tests.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}

bash scripts/setup.sh
bash scripts/build.sh
ctest --test-dir "$build" --output-on-failure -j "${JOBS:-$(nproc)}"

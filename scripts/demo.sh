#!/usr/bin/env bash
# The demo: set up, build, then run a Tessera pass pipeline on a BERT-style
# encoder layer (hidden 256, 4 heads, dynamic sequence) and show the device
# the runtime would run it on.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}

bash scripts/setup.sh
bash scripts/build.sh

layer="$build/examples/encoder_layer.mlir"
python3 examples/encoder_layer.py -o "$layer"
echo
echo "== tessera-opt: canonicalize, cse, check against the lavapipe profile =="
"$build/bin/tessera-opt" "$layer" \
  --canonicalize --cse \
  --tessera-verify-target="target=lavapipe emit-remarks" \
  --mlir-print-op-on-diagnostic=false \
  --mlir-elide-resource-strings-if-larger=16
echo
echo "== Vulkan devices (* = the one Tessera picks by default) =="
"$build/bin/tessera-devices"

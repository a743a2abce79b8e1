#!/usr/bin/env bash
# The demo: set up, build, compile a BERT-style encoder layer (hidden 256,
# 4 heads, FFN 1024, sequence length dynamic up to 512) to a .tsr binary,
# run it on the default device (the first real GPU, else lavapipe) for a
# 128-token input, and check the output against an independent numpy
# reference.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
bin=$build/bin
work=$build/demo

bash scripts/setup.sh
bash scripts/build.sh
mkdir -p "$work"

echo
echo "== 1. the model: examples/encoder_layer.py -> $work/encoder_layer.mlir"
python3 examples/encoder_layer.py -o "$work/encoder_layer.mlir"

echo
echo "== 2. compile: tessera-compile (target lavapipe, seq in [1, 512])"
"$bin/tessera-compile" "$work/encoder_layer.mlir" -o "$work/encoder_layer.tsr" \
  --dump-dispatches="$work/dispatches"
"$bin/tessera-run" --info "$work/encoder_layer.tsr"

echo
echo "== 3. run on the default device (seq = 128, the last 8 keys padded)"
/usr/bin/python3 test/e2e/encoder_layer_reference.py inputs --seq 128 \
  --hidden 256 --masked 8 --out "$work"
"$bin/tessera-run" "$work/encoder_layer.tsr" --input x="$work/x.npy" \
  --input padding="$work/padding.npy" --output-dir "$work/out" --repeat 3

echo
echo "== 4. check against a float64 numpy reference"
/usr/bin/python3 test/e2e/encoder_layer_reference.py compare \
  "$work/encoder_layer.mlir" "$work/x.npy" "$work/padding.npy" \
  "$work/out/y.npy" --heads 4
echo
echo "Per-dispatch IR, tile configs and SPIR-V: $work/dispatches/"

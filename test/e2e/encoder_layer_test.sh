#!/usr/bin/env bash
# End to end: the BERT-style encoder layer (hidden 256, 4 heads, dynamic
# sequence <= 512) compiled once, run on the default device for two
# sequence lengths (with padded keys) under the Khronos validation layer,
# and compared with an independent float64 numpy reference (1e-4 relative).
#   encoder_layer_test.sh BIN_DIR SOURCE_DIR
set -euo pipefail
bin=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
reference=$src/test/e2e/encoder_layer_reference.py

python3 "$src/examples/encoder_layer.py" -o "$work/layer.mlir"
"$bin/tessera-compile" "$work/layer.mlir" -o "$work/layer.tsr"
for seq in 77 300; do
  mkdir -p "$work/$seq"
  /usr/bin/python3 "$reference" inputs --seq "$seq" --hidden 256 --masked 5 --out "$work/$seq"
  "$bin/tessera-run" "$work/layer.tsr" --validation \
    --input x="$work/$seq/x.npy" --input padding="$work/$seq/padding.npy" \
    --output-dir "$work/$seq/out"
  /usr/bin/python3 "$reference" compare "$work/layer.mlir" "$work/$seq/x.npy" \
    "$work/$seq/padding.npy" "$work/$seq/out/y.npy" --heads 4 --rtol 1e-4
done

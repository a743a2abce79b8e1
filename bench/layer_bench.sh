#!/usr/bin/env bash
# A BERT-base encoder layer (examples/encoder_layer.py: hidden 768, 12 heads,
# FFN 3072, post-LN) at sequence 128 with 8 padded keys, on the default
# device: Tessera's per-dispatch profile (tessera-run --profile: medians of
# RUNS runs after the first) for binaries compiled with the sequence bounded
# by 128 and by 512, then PyTorch on the CPU (float32, the same weights) as
# the peer, in the same run. Results: docs/benchmarks.md.
#   bench/layer_bench.sh [BUILD_DIR] [RUNS]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
runs=${2:-7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Debian's torch and numpy link libblas.so.3; time them with OpenBLAS.
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

python3 "$src/examples/encoder_layer.py" --hidden 768 --heads 12 --ffn 3072 \
  --max-seq 512 -o "$work/layer.mlir"
/usr/bin/python3 "$src/test/e2e/encoder_layer_reference.py" inputs --seq 128 \
  --hidden 768 --masked 8 --out "$work"
for bound in 128 512; do
  "$build/bin/tessera-compile" "$work/layer.mlir" -o "$work/layer-$bound.tsr" \
    --dim seq=1:$bound 2>/dev/null
  echo "== tessera, sequence bounded by $bound"
  "$build/bin/tessera-run" "$work/layer-$bound.tsr" --input x="$work/x.npy" \
    --input padding="$work/padding.npy" --repeat $((runs + 1)) --profile \
    --output-dir "$work/out-$bound" | sed -n '/^device/p;/^profile/,/outside/p'
done
echo "== peer"
/usr/bin/python3 "$src/bench/layer_peer.py" "$work/layer.mlir" "$work/x.npy" \
  "$work/padding.npy" "$work/out-128/y.npy" --heads 12 --runs "$runs"

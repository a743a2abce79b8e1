#!/usr/bin/env bash
# The runtime built alone, as an application shipping compiled models
# builds it (-DTESSERA_BUILD_COMPILER=OFF): no MLIR, LLVM, ONNX or protobuf
# is looked for or linked. Installed, it runs the example layer (compiled
# by the full build's installed compiler, install.package) through
# examples/embed and through the Python package, whose compile() says that
# this build has no compiler.
#   runtime_only.sh SOURCE_DIR WORK_DIR PACKAGE_WORK_DIR
set -euo pipefail
src=$1
work=$2
package=$3
python=/usr/bin/python3
rm -rf "$work"
mkdir -p "$work"

cmake -G Ninja -S "$src" -B "$work/build" -DTESSERA_BUILD_COMPILER=OFF \
  -DTESSERA_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=Release > "$work/configure.log"
cmake --build "$work/build" -j "${JOBS:-2}" > "$work/build.log"
cmake --install "$work/build" --prefix "$work/prefix" > "$work/install.log"
if grep -E '^(MLIR|LLVM|ONNX|Protobuf)_DIR:PATH=/' "$work/build/CMakeCache.txt"; then
  echo "runtime-only: the configuration looked for the compiler's libraries"
  exit 1
fi
for binary in "$work"/prefix/lib*/libtessera_runtime.so "$work"/prefix/bin/*; do
  if readelf -d "$binary" | grep NEEDED | grep -iE 'LLVM|MLIR|onnx|protobuf'; then
    echo "runtime-only: $binary links the compiler's libraries"
    exit 1
  fi
done
[ ! -e "$work/prefix/bin/tessera-compile" ] ||
  { echo "runtime-only: tessera-compile was installed"; exit 1; }

cmake -S "$src/examples/embed" -B "$work/embed" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/embed.log"
cmake --build "$work/embed" >> "$work/embed.log"
for program in embed embed-cpp embed-static; do
  TESSERA_VALIDATION=1 "$work/embed/$program" "$package/layer.tsr" 8 > "$work/$program.txt"
  $python "$src/test/install/check_embed.py" "$package/layer.mlir" \
    "$work/$program.txt" --length 8
done

pydir=$(find "$work/prefix" -name _tessera*.so -printf '%h\n' | head -1)
[ -n "$pydir" ] || { echo "runtime-only: the Python package is missing"; exit 1; }
PYTHONPATH=$(dirname "$pydir") $python - "$package/layer.tsr" <<'PY'
import sys
import numpy as np
import tessera
session = tessera.Session(sys.argv[1], validation=True)
y = session.run({"x": np.zeros((1, 8, 256), np.float32),
                 "padding": np.ones((1, 8), bool)})["y"]
assert y.shape == (1, 8, 256) and np.isfinite(y).all()
try:
    tessera.compile("model.onnx")
    raise SystemExit("runtime-only: compile() did not refuse")
except tessera.Error as error:
    assert "no compiler" in str(error), error
    print("runtime-only: the Python package runs; compile() says:", error)
PY
echo "runtime-only: OK"

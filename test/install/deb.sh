#!/usr/bin/env bash
# The Debian packages cpack makes (cmake/Packaging.cmake): their names,
# dependencies and contents, then both unpacked into a scratch root and
# used from there as from /usr: examples/embed built against
# libtessera-runtime's CMake package and checked against numpy, the tools'
# --version, and the Python package running the layer. (Unpacked rather
# than installed: a test does not change the machine's packages;
# `dpkg -i` of the two is the manual check.)
#   deb.sh BUILD_DIR SOURCE_DIR WORK_DIR PACKAGE_WORK_DIR
set -euo pipefail
build=$1
src=$2
work=$3
package=$4
python=/usr/bin/python3
rm -rf "$work"
mkdir -p "$work"

(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" > cpack.log)
runtime_deb=$(ls "$work"/libtessera-runtime_*.deb)
tools_deb=$(ls "$work"/tessera_*.deb)
field() { dpkg-deb --field "$1" "$2"; }
[ "$(field "$runtime_deb" Package)" = libtessera-runtime ]
[ "$(field "$tools_deb" Package)" = tessera ]
# The tools and the Python package link the runtime statically: tessera
# does not need libtessera-runtime.
for want in libvulkan1 libmlir-22 python3-numpy; do
  field "$tools_deb" Depends | grep -qF "$want" ||
    { echo "deb: tessera does not depend on $want"; exit 1; }
done
field "$runtime_deb" Depends | grep -q libvulkan1 ||
  { echo "deb: libtessera-runtime does not depend on libvulkan1"; exit 1; }
echo "deb: $(basename "$runtime_deb"): $(field "$runtime_deb" Depends)"
echo "deb: $(basename "$tools_deb"): $(field "$tools_deb" Depends)"

root=$work/root
dpkg-deb -x "$runtime_deb" "$root"
dpkg-deb -x "$tools_deb" "$root"
for file in usr/bin/tessera-compile usr/bin/tessera-run usr/include/tessera/runtime.h \
            usr/lib/python3/dist-packages/tessera/__init__.py; do
  [ -e "$root/$file" ] || { echo "deb: $file is missing"; exit 1; }
done
dpkg-deb -c "$runtime_deb" | grep -q 'usr/bin/' &&
  { echo "deb: libtessera-runtime carries tools"; exit 1; }
"$root/usr/bin/tessera-compile" --version
"$root/usr/bin/tessera-run" --version

cmake -S "$src/examples/embed" -B "$work/embed" -G Ninja \
  -DCMAKE_PREFIX_PATH="$root/usr" > "$work/embed.log"
cmake --build "$work/embed" >> "$work/embed.log"
TESSERA_VALIDATION=1 "$work/embed/embed" "$package/layer.tsr" 8 > "$work/embed.txt"
$python "$src/test/install/check_embed.py" "$package/layer.mlir" "$work/embed.txt" --length 8

PYTHONPATH=$root/usr/lib/python3/dist-packages $python - "$package/layer.tsr" <<'PY'
import sys
import numpy as np
import tessera
assert tessera.__file__.startswith(sys.path[1]) or "root/usr" in tessera.__file__
y = tessera.Session(sys.argv[1]).run({"x": np.zeros((1, 8, 256), np.float32),
                                      "padding": np.ones((1, 8), bool)})["y"]
assert y.shape == (1, 8, 256) and np.isfinite(y).all()
print("deb: the Python package runs from", tessera.__file__)
PY
echo "deb: OK"

#!/usr/bin/env bash
# Installs the build into a fresh prefix as a user would (cmake --install)
# and uses it only from there: what is installed (and what is not), the
# shared library's exports, every tool's --version (run from the prefix:
# its libraries are found), the example layer compiled by the installed
# compiler, and examples/embed built out of tree against the installed
# package through CMake (shared and static) and through pkg-config, each
# run under the validation layer and checked against the numpy reference.
# The Python tests then run against the installed package (CTest's
# python.pytest, after this one).
#   run.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
build=$1
src=$2
work=$3
prefix=$work/prefix
python=/usr/bin/python3
rm -rf "$work"
mkdir -p "$work"

cmake --install "$build" --prefix "$prefix" > "$work/install.log"

libdir=$(sed -n 's|^libdir=\${prefix}/||p' "$prefix"/lib*/pkgconfig/tessera-runtime.pc 2>/dev/null || true)
[ -n "$libdir" ] || { echo "install: no tessera-runtime.pc"; exit 1; }
for file in bin/tessera-compile bin/tessera-opt bin/tessera-run \
            bin/tessera-devices bin/tessera-generate bin/tessera-tokenize \
            "$libdir/libtessera_runtime.a" "$libdir/libtessera_runtime.so" \
            "$libdir/libtessera_runtime.so.0" \
            include/tessera/runtime.h include/tessera/runtime.hpp \
            include/tessera/tokenizer.h include/tessera/tokenizer.hpp \
            include/tessera/generate.h include/tessera/image.h \
            include/tessera/version.h \
            "$libdir/cmake/Tessera/TesseraConfig.cmake" \
            "$libdir/cmake/Tessera/TesseraConfigVersion.cmake" \
            "$libdir/pkgconfig/tessera-runtime.pc"; do
  [ -e "$prefix/$file" ] || { echo "install: $file is missing"; exit 1; }
done
# The compiler's libraries and the format's internals stay inside.
leaked=$(cd "$prefix" && find . -name 'libTessera*' -o -name 'libMLIR*' \
         -o -name 'tsr_generated.h' -o -name 'tsr_format.h')
[ -z "$leaked" ] || { echo "install: installed by accident: $leaked"; exit 1; }
echo "install: $(cd "$prefix" && find . -type f | wc -l) files in $prefix"

$python "$src/test/install/check_exports.py" \
  "$prefix/$libdir/libtessera_runtime.so" "$prefix/include/tessera"

version=$(sed -n 's/^#define TESSERA_VERSION_STRING "\(.*\)"/\1/p' \
          "$prefix/include/tessera/version.h")
for tool in tessera-compile tessera-opt tessera-run tessera-devices \
            tessera-generate tessera-tokenize; do
  line=$("$prefix/bin/$tool" --version)
  case "$line" in
    "$tool: Tessera $version (git "*"), .tsr format "*) echo "$line" ;;
    *) echo "install: $tool --version says '$line'"; exit 1 ;;
  esac
done

$python "$src/examples/encoder_layer.py" -o "$work/layer.mlir"
"$prefix/bin/tessera-compile" "$work/layer.mlir" -o "$work/layer.tsr"

cmake -S "$src/examples/embed" -B "$work/embed-cmake" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" > "$work/embed-cmake.log"
cmake --build "$work/embed-cmake" >> "$work/embed-cmake.log"
cp -r "$src/examples/embed" "$work/embed-make"
PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig" make -s -C "$work/embed-make"
for program in embed-cmake/embed embed-cmake/embed-cpp embed-cmake/embed-static \
               embed-make/embed embed-make/embed-cpp; do
  [ -x "$work/$program" ] || { echo "install: $program was not built"; exit 1; }
  TESSERA_VALIDATION=1 "$work/$program" "$work/layer.tsr" 8 > "$work/$program.txt"
  $python "$src/test/install/check_embed.py" "$work/layer.mlir" \
    "$work/$program.txt" --length 8
done
# The shared examples use the installed library, not the build's.
loaded=$(ldd "$work/embed-make/embed" | awk '/libtessera_runtime/ {print $3}')
[ "$(realpath "$loaded")" = "$(realpath "$prefix/$libdir/libtessera_runtime.so.0")" ] ||
  { echo "install: embed loads '$loaded', not the installed library"; exit 1; }
echo "install: OK"

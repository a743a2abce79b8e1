#!/usr/bin/env python3
"""Fails when a layer includes or links a layer it must not depend on.

Tessera's layers point one way:

    tools -> frontends -> compiler -> dialects      (MLIR-based)
    compiler/Serialize -> format <- runtime         (the .tsr format)

    layer      may use
    dialects   dialects, MLIR
    frontends  frontends, dialects, MLIR
    compiler   compiler, dialects, format, MLIR
    format     nothing of Tessera's
    runtime    runtime, format; no MLIR or LLVM
    tools      everything

(tests and benchmarks may use everything.) Each `#include "..."` of a source
file and each Tessera library a CMakeLists.txt links is checked against the
table; every violation is printed as FILE:LINE and the exit status is 1.

    python3 scripts/check-layering.py [--root DIR]
"""
import argparse
import os
import re
import sys

ALLOWED = {
    "dialects": {"dialects", "mlir"},
    "frontends": {"frontends", "dialects", "mlir"},
    "compiler": {"compiler", "dialects", "format", "mlir"},
    "format": set(),
    "runtime": {"runtime", "format"},
    "tools": {"tools", "frontends", "compiler", "dialects", "format", "runtime",
              "mlir"},
}

# Libraries by the layer that defines them.
LIBRARY_LAYERS = [
    (re.compile(r"^Tessera(Dialect|Shapes)$"), "dialects"),
    (re.compile(r"^TesseraOnnxFrontend$"), "frontends"),
    (re.compile(r"^TesseraDriver$"), "tools"),
    (re.compile(r"^Tessera[A-Z]\w*$"), "compiler"),
    (re.compile(r"^tessera_format$"), "format"),
    (re.compile(r"^tessera_(runtime|npy)$"), "runtime"),
    (re.compile(r"^(MLIR\w*|LLVM\w*|\$\{TESSERA_MLIR_LIBS\})$"), "mlir"),
]

SOURCE_SUFFIXES = (".h", ".hpp", ".cpp", ".inc")
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def layer_of_path(relative):
    top = relative.split(os.sep)[0]
    return top if top in ALLOWED else None


def layer_of_include(header, including_layer):
    for prefix in ("dialects", "frontends", "compiler", "tools"):
        if header.startswith(prefix + "/"):
            return prefix
    if header.startswith(("mlir/", "llvm/")):
        return "mlir"
    if header in ("tessera/tsr_format.h", "tessera/tsr_generated.h"):
        return "format"
    if header.startswith("tessera/"):
        return "runtime"
    # A header next to the file (runtime/src, a generated .inc): its own.
    return including_layer


def layer_of_library(name):
    for pattern, layer in LIBRARY_LAYERS:
        if pattern.match(name):
            return layer
    return None


def cmake_links(text):
    """(line, library) for every library a CMakeLists.txt links."""
    for match in re.finditer(
            r"(LINK_LIBS\s+(?:PUBLIC|PRIVATE)?|target_link_libraries\s*\()"
            r"([^)]*?)(?=\)|\n\s*\n|LINK_LIBS|DEPENDS|$)", text, re.S):
        start = match.start(2)
        for word in re.finditer(r"[\w${}]+", match.group(2)):
            line = text.count("\n", 0, start + word.start()) + 1
            yield line, word.group(0)


def check(root):
    violations = []
    for layer in ALLOWED:
        base = os.path.join(root, layer)
        for folder, _, files in os.walk(base):
            for name in files:
                path = os.path.join(folder, name)
                relative = os.path.relpath(path, root)
                if name.endswith(SOURCE_SUFFIXES):
                    for number, text in enumerate(open(path, errors="replace"), 1):
                        match = INCLUDE.match(text)
                        if not match:
                            continue
                        used = layer_of_include(match.group(1), layer)
                        if used != layer and used not in ALLOWED[layer]:
                            violations.append(
                                f"{relative}:{number}: the {layer} layer includes "
                                f"\"{match.group(1)}\" ({used})")
                elif name == "CMakeLists.txt":
                    text = open(path).read()
                    for number, library in cmake_links(text):
                        used = layer_of_library(library)
                        if used and used != layer and used not in ALLOWED[layer]:
                            violations.append(
                                f"{relative}:{number}: the {layer} layer links "
                                f"{library} ({used})")
    return violations


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=os.path.dirname(
        os.path.dirname(os.path.abspath(__file__))))
    args = parser.parse_args()
    violations = check(args.root)
    for violation in violations:
        print(violation)
    if violations:
        print(f"{len(violations)} dependencies against the layering "
              "(scripts/check-layering.py, docs/architecture.md)")
        return 1
    print("layering: every include and link points down")
    return 0


if __name__ == "__main__":
    sys.exit(main())

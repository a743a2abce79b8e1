#!/usr/bin/env python3
"""Compiles every test model and the example layer, keeping what codegen made.

A behaviour-preserving change to the compiler must leave the generated code
alone. This script writes, for each model of test/models (built by
families.py exactly as its lit test builds it, with the test's own
tessera-compile flags) and for the example encoder layer (the demo's
configuration and the lit test's small one, and the demo's for the nvidia and
intel profiles at two sequence bounds, which take split K and split
attention rows):

  OUT/<name>/dispatches/   tessera-compile --dump-dispatches (fused IR, tile
                           config and SPIR-V disassembly of every dispatch)
  OUT/<name>/model.tsr     the compiled binary

Take a snapshot before a change and one after, then compare:

  python3 scripts/dispatch-snapshot.py /tmp/before    # on the old tree
  python3 scripts/dispatch-snapshot.py /tmp/after     # on the new tree
  diff -r /tmp/before /tmp/after

Models are exported once per OUT folder and reused (--reuse-models FROM takes
them from an earlier snapshot, so both sides compile the same files).
"""
import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = "/usr/bin/python3"


def run(cmd, **kwargs):
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"failed: {shlex.join(cmd)}\n{result.stderr}")


def run_lines(test_file):
    """The RUN lines of a lit test, continuation lines joined."""
    lines, current = [], ""
    for line in open(test_file):
        match = re.match(r"#\s*RUN:\s*(.*)$", line) or re.match(r"RUN:\s*(.*)$", line)
        if not match:
            continue
        text = match.group(1).rstrip()
        if text.endswith("\\"):
            current += text[:-1] + " "
        else:
            lines.append(current + text)
            current = ""
    return lines


def snapshot_family(test_file, out, bin_dir, reuse):
    name = os.path.basename(test_file)[: -len(".test")]
    work = os.path.join(out, name)
    os.makedirs(work, exist_ok=True)
    subst = {"%python": PYTHON, "%S": os.path.dirname(test_file), "%t": work}
    compiles = 0
    for line in run_lines(test_file):
        for key, value in subst.items():
            line = line.replace(key, value)
        args = shlex.split(line)
        # The command alone: what a RUN line pipes it into is the test's.
        for i, token in enumerate(args):
            if token in ("|", "2>&1", ">", "&&", ";"):
                args = args[:i]
                break
        if not args:
            continue
        if "families.py" in line and "--reference" in args:
            if reuse:
                shutil.copy(os.path.join(reuse, name, "model.onnx"), work)
                continue
            args = args[: args.index("--reference")]
            run(args)
        elif args[0] == "tessera-compile" and "-o" in args and args[args.index("-o") + 1].endswith(".tsr"):
            tsr = args[args.index("-o") + 1]
            stem = os.path.splitext(os.path.basename(tsr))[0]
            dump = os.path.join(work, "dispatches" if stem == "model" else f"dispatches-{stem}")
            run([os.path.join(bin_dir, "tessera-compile")] + args[1:] + [f"--dump-dispatches={dump}"])
            compiles += 1
    if compiles == 0:
        sys.exit(f"{test_file}: no tessera-compile line writing a .tsr")


def snapshot_layer(name, layer_args, out, bin_dir, compile_args=()):
    work = os.path.join(out, name)
    os.makedirs(work, exist_ok=True)
    mlir = os.path.join(work, "layer.mlir")
    run([PYTHON, os.path.join(ROOT, "examples", "encoder_layer.py")] + layer_args + ["-o", mlir])
    run([os.path.join(bin_dir, "tessera-compile"), mlir, "-o", os.path.join(work, "model.tsr"),
         f"--dump-dispatches={os.path.join(work, 'dispatches')}"] + list(compile_args))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", help="folder to write the snapshot into")
    parser.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"),
                        help="folder holding tessera-compile (default build/bin)")
    parser.add_argument("--reuse-models", metavar="FROM",
                        help="take the exported models from an earlier snapshot")
    parser.add_argument("--only", help="regex: only the test models whose name matches")
    args = parser.parse_args()

    models = os.path.join(ROOT, "test", "models")
    for test in sorted(os.listdir(models)):
        if not test.endswith(".test") or (args.only and not re.search(args.only, test)):
            continue
        print(f"  {test}", flush=True)
        snapshot_family(os.path.join(models, test), args.out, args.bin, args.reuse_models)
    if not args.only:
        print("  example layer", flush=True)
        snapshot_layer("example-layer", [], args.out, args.bin)
        snapshot_layer("example-layer-small", ["--hidden", "32", "--heads", "2", "--ffn", "64"],
                       args.out, args.bin)
        # GPU profiles take other kernel variants: wider tiles, attention
        # rows split over invocations, and split K where a short sequence
        # leaves few output tiles (decoding).
        for target in ("nvidia", "intel"):
            for bound in ("512", "1"):
                snapshot_layer(f"example-layer-{target}-seq{bound}", [], args.out, args.bin,
                               [f"--target={target}", f"--dim=seq=1:{bound}"])


if __name__ == "__main__":
    main()

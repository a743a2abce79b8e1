#!/usr/bin/env python3
"""Runs ONNX's own backend tests (Debian's libonnx-testdata) through
tessera-compile and tessera-run and compares every output with the
expected one.

    run.py --list passing.txt     # every listed test must pass (lit runs this)
    run.py --discover             # try every node test, print the passing ones
    run.py --discover --suite pytorch-converted --suite pytorch-operator

Suites: node (one-node models of every op), pytorch-converted and
pytorch-operator (real PyTorch exports of modules and operators, at opsets
6 to 9, upgraded by ONNX's version converter as Tessera imports them), and
constant: the node tests with every input after the first made a constant
of its test data, the form exporters write (Resize's scales, Reshape's
shape, Slice's bounds are constants in real models; the node tests feed
them at run time). A test is named `suite/test_name`; a name without a
suite is a node test.
Each is a model plus inputs and expected outputs as TensorProto files. Floats compare with |out - expected| <= atol + rtol *
|expected| (atol 1e-5, rtol 1e-4); integers and bools exactly. The list
only grows: a test that passed once is a regression when it fails.
"""
import argparse
import concurrent.futures
import glob
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

TESTDATA = "/usr/share/libonnx-testdata/data"
SUITES = ("node", "pytorch-converted", "pytorch-operator", "constant")
ATOL, RTOL = 1e-5, 1e-4


def load_tensor(path):
    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return tensor.name, numpy_helper.to_array(tensor)


def run_test(name, tools, workdir):
    """None when the test passes, else a one-line reason."""
    constant = name.startswith("constant/")
    test = name[len("constant/"):] if constant else name
    directory = os.path.join(TESTDATA, test if "/" in test else "node/" + test)
    model_path = os.path.join(directory, "model.onnx")
    model = onnx.load(model_path, load_external_data=False)
    initializers = {t.name for t in model.graph.initializer}
    input_names = [i.name for i in model.graph.input if i.name not in initializers]
    output_names = [o.name for o in model.graph.output]
    data = os.path.join(directory, "test_data_set_0")
    input_files = sorted(glob.glob(os.path.join(data, "input_*.pb")))
    work = tempfile.mkdtemp(prefix=name.replace("/", "-") + ".", dir=workdir)
    if constant:
        # Inputs after the first become initializers holding their data.
        for i, path in enumerate(input_files[1:], start=1):
            tensor = onnx.TensorProto()
            with open(path, "rb") as f:
                tensor.ParseFromString(f.read())
            tensor.name = input_names[i]
            model.graph.initializer.append(tensor)
        if model.ir_version >= 4:  # older IR lists initializers as inputs
            kept = [i for i in model.graph.input if i.name not in input_names[1:]]
            del model.graph.input[:]
            model.graph.input.extend(kept)
        input_files = input_files[:1]
        model_path = os.path.join(work, "model.onnx")
        onnx.save(model, model_path)
    binary = os.path.join(work, "model.tsr")
    compile_ = subprocess.run([os.path.join(tools, "tessera-compile"), model_path,
                               "-o", binary],
                              capture_output=True, text=True)
    if compile_.returncode != 0:
        lines = (compile_.stderr or compile_.stdout).strip().splitlines()
        return "compile: " + (lines[0] if lines else "exit %d" % compile_.returncode)
    command = [os.path.join(tools, "tessera-run"), binary, "--output-dir", work]
    for i, path in enumerate(input_files):
        _, array = load_tensor(path)
        if array.dtype == np.float64:
            array = array.astype(np.float32)  # Tessera imports double as float
        npy = os.path.join(work, "input_%d.npy" % i)
        np.save(npy, array)
        command += ["--input", "%s=%s" % (input_names[i], npy)]
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0:
        lines = (run.stderr or run.stdout).strip().splitlines()
        return "run: " + (lines[-1] if lines else "exit %d" % run.returncode)
    for i, path in enumerate(sorted(glob.glob(os.path.join(data, "output_*.pb")))):
        _, expected = load_tensor(path)
        out_path = os.path.join(work, output_names[i] + ".npy")
        if not os.path.exists(out_path):
            return "output %s not written" % output_names[i]
        out = np.load(out_path)
        if out.shape != expected.shape:
            return "output %s: shape %s, expected %s" % (output_names[i], out.shape, expected.shape)
        if expected.dtype.kind == "f":
            err = np.abs(out.astype(np.float64) - expected)
            bad = err > ATOL + RTOL * np.abs(expected)
            if np.any(bad) or np.any(np.isnan(out) != np.isnan(expected)):
                return "output %s: max error %.3g" % (output_names[i], float(np.nanmax(err)))
        elif not np.array_equal(out.astype(np.int64), expected.astype(np.int64)):
            return "output %s: values differ" % output_names[i]
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--list", help="file of test names that must pass")
    group.add_argument("--discover", action="store_true",
                       help="run every node test and print the passing ones")
    parser.add_argument("--tools", help="directory of tessera-compile and tessera-run "
                        "(default: where PATH finds tessera-compile)")
    parser.add_argument("--suite", action="append", choices=SUITES,
                        help="with --discover: the suites to try (default: node)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--verbose", action="store_true", help="print why each failing test fails")
    args = parser.parse_args()
    if not args.tools:
        found = shutil.which("tessera-compile")
        if not found:
            parser.error("tessera-compile is not on PATH; pass --tools")
        args.tools = os.path.dirname(found)

    if args.list:
        names = [l.split("#")[0].strip() for l in open(args.list)]
        names = [n for n in names if n]
    else:
        names = []
        for suite in args.suite or ["node"]:
            prefix = "" if suite == "node" else suite + "/"
            folder = "node" if suite == "constant" else suite
            names += sorted(prefix + os.path.basename(d)
                            for d in glob.glob(os.path.join(TESTDATA, folder, "test_*")))
    with tempfile.TemporaryDirectory() as workdir, \
            concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = dict(zip(names, pool.map(lambda n: run_test(n, args.tools, workdir), names)))
    failed = {n: r for n, r in results.items() if r}
    if args.discover:
        for name in names:
            if not results[name]:
                print(name)
            elif args.verbose:
                print("# %s: %s" % (name, results[name]), file=sys.stderr)
        return 0
    for name, reason in sorted(failed.items()):
        print("FAIL %s: %s" % (name, reason))
    print("%d of %d listed ONNX backend tests pass" % (len(names) - len(failed), len(names)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Exports one family in one of the forms users produce and checks it end to
end, as a user would: the export compiles with no flags, every attention's
Softmax is raised into `tessera.attention`, and the binary (bounded for the
reference batch) matches PyTorch on every output.

    check_form.py --family bert --opset 13 --work DIR [--no-constant-folding]
        [--keep-initializers-as-inputs] [--external-data] [--half]
        [--dynamic-image [--image-size H W]] [--dim NAME=MIN:MAX ...]
        [--ort-optimized basic|extended|all]

--dynamic-image exports the image's height and width dynamic too;
--image-size also runs the one binary on images of that size. --dim states
bounds the export needs: the compile without them must then fail, and its
error (which should name them) is printed.

Outputs are compared with PyTorch's within 1e-5 relative to
max(|reference|, 1); a --half model with PyTorch's f32 run within 5e-3.
--ort-optimized compiles the graph ONNX Runtime optimises the export into
(its com.microsoft fused ops); it needs node and onnxruntime-node from npm,
found through NODE_PATH.

The family-specific expectations (op counts per layer, mask kinds) live in
each family's own test; this checks only what every form must keep.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FORMS = ("no-constant-folding", "keep-initializers-as-inputs", "external-data", "half",
         "dynamic-image")
# Errors relative to max(|reference|, 1), the issues' criterion: logits
# tied to an embedding (Whisper's) reach tens, where 1e-5 absolute is
# below f32's resolution after a few ops.
TOLERANCE = 1e-5
# A half model against PyTorch's f32 run: f16 activations round to 2^-11
# at every op.
HALF_TOLERANCE = 5e-3


def run(cmd, fail=False):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if (result.returncode != 0) != fail:
        sys.exit("%s: %s\n%s%s" % ("succeeded, expected to fail" if fail else "failed",
                                    " ".join(cmd), result.stdout, result.stderr))
    return result.stdout + result.stderr


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", required=True)
    parser.add_argument("--opset", type=int, required=True)
    parser.add_argument("--work", required=True)
    for form in FORMS:
        parser.add_argument("--" + form, action="store_true")
    parser.add_argument("--ort-optimized", choices=("basic", "extended", "all"))
    parser.add_argument("--image-size", type=int, nargs=2, metavar=("H", "W"))
    parser.add_argument("--dim", action="append", default=[])
    args = parser.parse_args()
    tools = os.path.dirname(shutil.which("tessera-compile") or sys.exit("tessera-compile not on PATH"))
    work = args.work
    os.makedirs(work, exist_ok=True)
    model, ref = os.path.join(work, "model.onnx"), os.path.join(work, "ref")
    forms = ["--" + f for f in FORMS if getattr(args, f.replace("-", "_"))]
    run([sys.executable, os.path.join(HERE, "families.py"), "--family", args.family,
         "--opset", str(args.opset), "-o", model, "--reference", ref] + forms)

    if args.ort_optimized:
        optimized = os.path.join(work, "model-ort.onnx")
        run(["node", os.path.join(HERE, "ort_optimize.js"), model, optimized, args.ort_optimized])
        model = optimized
        forms.append("--ort-optimized " + args.ort_optimized)

    fixed = sum((["--dim", d] for d in args.dim), [])
    raised = run([os.path.join(tools, "tessera-compile"), model, "--compile-to=raise"] + fixed)
    attentions = len(re.findall(r"tessera\.attention ", raised))
    softmaxes = len(re.findall(r"tessera\.softmax ", raised))
    print("%s opset %d %s: %d attentions, %d softmax left"
          % (args.family, args.opset, " ".join(forms) or "(default form)", attentions, softmaxes))
    if attentions == 0 or softmaxes:
        sys.exit("not raised: every attention's Softmax must end in tessera.attention")

    noflags = run([os.path.join(tools, "tessera-compile"), model, "-o",
                   os.path.join(work, "noflags.tsr")], fail=bool(args.dim))
    if args.dim:
        print("without --dim: " + noflags.strip().splitlines()[-1])
    binary = os.path.join(work, "model.tsr")
    bounds = sum((["--dim", d] for d in ["batch=1:4"] + args.dim), [])
    run([os.path.join(tools, "tessera-compile"), model, "-o", binary] + bounds)
    references = [ref]
    if args.image_size:
        references.append(os.path.join(work, "ref-%dx%d" % tuple(args.image_size)))
        run([sys.executable, os.path.join(HERE, "families.py"), "--family", args.family,
             "--opset", str(args.opset), "-o", os.path.join(work, "unused.onnx"),
             "--reference", references[-1], "--image-size"]
            + [str(n) for n in args.image_size] + forms)
    for reference in references:
        out = os.path.join(work, "out-" + os.path.basename(reference))
        command = [os.path.join(tools, "tessera-run"), binary, "--output-dir", out]
        for path in sorted(glob.glob(os.path.join(reference, "input_*.npy"))):
            command += ["--input", "%s=%s" % (os.path.basename(path)[6:-4], path)]
        run(command)
        for path in sorted(glob.glob(os.path.join(reference, "output_*.npy"))):
            name = os.path.basename(path)[7:]
            tolerance = ["--tolerance", str(HALF_TOLERANCE if args.half else TOLERANCE),
                         "--relative"]
            print(run([sys.executable, os.path.join(HERE, "check_model.py"), "compare",
                       os.path.join(out, name), path] + tolerance).strip(),
                  "(%s)" % (name[:-4] if reference == ref
                            else "%s at %dx%d" % ((name[:-4],) + tuple(args.image_size))))
    return 0


if __name__ == "__main__":
    sys.exit(main())

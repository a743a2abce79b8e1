#!/usr/bin/env python3
"""Checks a model after Tessera's raise phase and after running it.

    check_model.py raised IR.mlir --layers N --expect attention=1 ... \\
        [--mask causal=1] [--absent matmul,softmax]
    check_model.py compare OUT.npy REFERENCE.npy --tolerance T [--relative]
    check_model.py weights F32-INFO.txt F16-INFO.txt --at-most R

`raised` counts ops per kind in the IR that `tessera-compile --compile-to=raise`
printed; every --expect is per layer (plus --extra, once per model); --absent lists op kinds none of which
may remain; --mask counts attentions per layer with that #tessera.mask kind
(`none` = no attribute); it also prints the ops per layer. `compare` checks
the largest absolute difference against a reference (PyTorch's output), or
with --relative the largest difference relative to max(|reference|, 1).
`weights` compares the weight bytes of two `tessera-run --info` outputs
(a binary compiled with --precision f16 against the f32 one). NaN must
appear exactly where the reference has it (a row whose keys are all -inf).
"""
import argparse
import collections
import re
import sys


def raised(args):
    ir = open(args.ir).read()
    body = ir.split("{-#")[0]
    ops = collections.Counter(re.findall(r"= tessera\.([a-z_]+)", body))
    masks = collections.Counter()
    for line in body.splitlines():
        if "tessera.attention" in line:
            m = re.search(r"#tessera\.mask<([a-z]+)", line)
            masks[m.group(1) if m else "none"] += 1
    failures = []
    extra = dict((k, int(n)) for k, n in (item.split("=") for item in args.extra))
    for item in args.expect:
        kind, per_layer = item.split("=")
        want = int(per_layer) * args.layers + extra.get(kind, 0)
        if ops[kind] != want:
            failures.append("%s: %d, expected %d (%s per layer)" % (kind, ops[kind], want, per_layer))
    for item in args.mask:
        kind, per_layer = item.split("=")
        want = int(per_layer) * args.layers
        if masks[kind] != want:
            failures.append("mask %s: %d attentions, expected %d" % (kind, masks[kind], want))
    for kind in filter(None, args.absent.split(",")):
        if ops[kind]:
            failures.append("%s: %d left, expected none" % (kind, ops[kind]))
    compute = sum(n for k, n in ops.items() if k != "constant")
    print("ops (without constants): %d, %.1f per layer" % (compute, compute / args.layers))
    print("  " + ", ".join("%s %d" % kv for kv in sorted(ops.items())))
    for f in failures:
        print("error: " + f, file=sys.stderr)
    return 1 if failures else 0


def compare(args):
    import numpy as np
    out, ref = np.load(args.output), np.load(args.reference)
    if out.shape != ref.shape:
        print("error: shape %s, expected %s" % (out.shape, ref.shape), file=sys.stderr)
        return 1
    # NaN where the reference is NaN (a row whose keys are all -inf), and
    # nowhere else; the other elements are compared.
    out_nan, ref_nan = np.isnan(out), np.isnan(ref)
    if (out_nan != ref_nan).any():
        print("error: NaN at %d elements, the reference at %d (first mismatch at %s)"
              % (out_nan.sum(), ref_nan.sum(),
                 np.argwhere(out_nan != ref_nan)[0].tolist()), file=sys.stderr)
        return 1
    if ref_nan.any():
        print("NaN at the %d elements where the reference is NaN" % ref_nan.sum())
    out, ref = np.where(ref_nan, 0, out), np.where(ref_nan, 0, ref)
    diff = np.abs(out.astype(np.float64) - ref)
    if args.relative:
        # Relative to each reference value, floored at magnitude 1.
        err = float((diff / np.maximum(np.abs(ref), 1.0)).max())
        print("max relative error %.3g (tolerance %.3g)" % (err, args.tolerance))
    else:
        err = float(diff.max())
        print("max abs error %.3g (tolerance %.3g)" % (err, args.tolerance))
    return 0 if err <= args.tolerance else 1


def weights(args):
    """Compares the weight bytes two `tessera-run --info` outputs report."""
    def size(path):
        match = re.search(r"weights (\d+) bytes", open(path).read())
        return int(match.group(1))
    full, narrow = size(args.f32_info), size(args.f16_info)
    ratio = narrow / full
    print("weights %d -> %d bytes (%.3f)" % (full, narrow, ratio))
    return 0 if ratio <= args.at_most else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("raised")
    r.add_argument("ir")
    r.add_argument("--layers", type=int, required=True)
    r.add_argument("--expect", action="append", default=[])
    r.add_argument("--mask", action="append", default=[])
    r.add_argument("--extra", action="append", default=[],
                   help="KIND=N outside the layers (embedding or final layer norm)")
    r.add_argument("--absent", default="")
    c = sub.add_parser("compare")
    c.add_argument("output")
    c.add_argument("reference")
    c.add_argument("--tolerance", type=float, required=True)
    c.add_argument("--relative", action="store_true",
                   help="error relative to max(|reference|, 1), per element")
    w = sub.add_parser("weights", help="f16 weights against f32 (--info outputs)")
    w.add_argument("f32_info")
    w.add_argument("f16_info")
    w.add_argument("--at-most", type=float, required=True,
                   help="largest allowed ratio of f16 to f32 weight bytes")
    args = parser.parse_args()
    return {"raised": raised, "compare": compare, "weights": weights}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""What examples/embed printed for the example encoder layer, against the
independent float64 numpy reference of test/e2e (1e-4 relative).

    check_embed.py LAYER.mlir OUTPUT.txt --length N

The examples fill the inputs as their comment says: f32 element i is
sin(0.1 i), bool is 1. They print "y [1 N 256] mean|x| M: v0 v1 v2 v3".
"""
import argparse
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from encoder_layer_reference import load_weights, reference  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("layer")
    parser.add_argument("output")
    parser.add_argument("--length", type=int, required=True)
    parser.add_argument("--heads", type=int, default=4)
    args = parser.parse_args()
    weights, eps = load_weights(args.layer)
    hidden = weights["b2"].size
    n = args.length * hidden
    x = np.sin(0.1 * np.arange(n, dtype=np.float32)).astype(np.float64)
    x = x.reshape(1, args.length, hidden)
    padding = np.ones((1, args.length), dtype=bool)
    want = reference(weights, eps, x, padding, args.heads)

    text = open(args.output).read()
    match = re.fullmatch(r"y \[1 (\d+) (\d+)\] mean\|x\| (\S+): (.*)\n", text)
    if not match:
        print("unexpected output:", repr(text))
        return 1
    shape = (1, int(match.group(1)), int(match.group(2)))
    got_mean = float(match.group(3))
    got_first = np.array([float(v) for v in match.group(4).split()])
    want_mean = np.abs(want).mean()
    want_first = want.reshape(-1)[:4]
    errors = [abs(got_mean - want_mean) / want_mean,
              np.abs(got_first - want_first).max() / max(np.abs(want).max(), 1)]
    print(f"{args.output}: shape {shape}, mean|y| {got_mean:.7g} (numpy "
          f"{want_mean:.7g}), relative errors {errors[0]:.2g}, {errors[1]:.2g}")
    return 0 if shape == want.shape and max(errors) <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())

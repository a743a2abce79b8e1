#!/usr/bin/env python3
"""Independent numpy reference of examples/encoder_layer.py's layer.

    encoder_layer_reference.py inputs --seq S --hidden H --masked N --out DIR
        writes DIR/x.npy (random) and DIR/padding.npy (the last N keys padded)
    encoder_layer_reference.py compare LAYER.mlir X.npy PADDING.npy Y.npy --heads 4
        reads the weights out of the generated .mlir (its dense_resource
        blobs), computes the layer in float64 with numpy, and compares with
        the output tessera-run wrote; exits non-zero when an element differs
        by more than --rtol (relative, floored at magnitude 1)
"""

import argparse
import math
import re
import struct
import sys

import numpy as np


def load_weights(path):
    text = open(path).read()
    weights = {}
    for name, blob in re.findall(r'^\s+(\w+): "0x([0-9A-Fa-f]+)"', text, re.M):
        raw = bytes.fromhex(blob)[4:]  # drop the alignment prefix
        weights[name] = np.frombuffer(raw, dtype="<f4").astype(np.float64)
    eps = float(re.search(r"epsilon = ([0-9.eE+-]+)", text).group(1))
    return weights, eps


def layer_norm(x, gamma, beta, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def reference(w, eps, x, padding, heads):
    hidden = x.shape[-1]
    ffn = w["b1"].size
    d = hidden // heads

    def linear(v, name, n, k):
        return v @ w["w" + name].reshape(n, k).T + w["b" + name]

    q, k, v = (linear(x, n, hidden, hidden) for n in "qkv")
    seq = x.shape[1]
    split = lambda t: t.reshape(1, seq, heads, d).transpose(0, 2, 1, 3)
    q, k, v = split(q), split(k), split(v)
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d)
    scores = np.where(padding[:, None, None, :], scores, -np.inf)
    scores = scores - scores.max(-1, keepdims=True)
    p = np.exp(scores)
    p = p / p.sum(-1, keepdims=True)
    attn = (p @ v).transpose(0, 2, 1, 3).reshape(1, seq, hidden)
    h = layer_norm(linear(attn, "o", hidden, hidden) + x,
                   w["ln1_gamma"], w["ln1_beta"], eps)
    f = linear(gelu(linear(h, "1", ffn, hidden)), "2", hidden, ffn)
    return layer_norm(f + h, w["ln2_gamma"], w["ln2_beta"], eps)


def make_inputs(args):
    rng = np.random.default_rng(args.seq)
    x = rng.standard_normal((1, args.seq, args.hidden)).astype(np.float32)
    padding = np.ones((1, args.seq), dtype=bool)
    padding[0, args.seq - args.masked:] = False
    np.save(args.out + "/x.npy", x)
    np.save(args.out + "/padding.npy", padding)
    return 0


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    inputs = commands.add_parser("inputs")
    inputs.add_argument("--seq", type=int, required=True)
    inputs.add_argument("--hidden", type=int, required=True)
    inputs.add_argument("--masked", type=int, default=0)
    inputs.add_argument("--out", required=True)
    compare = commands.add_parser("compare")
    compare.add_argument("layer")
    compare.add_argument("x")
    compare.add_argument("padding")
    compare.add_argument("y")
    compare.add_argument("--heads", type=int, required=True)
    compare.add_argument("--rtol", type=float, default=1e-4)
    args = parser.parse_args()
    if args.command == "inputs":
        return make_inputs(args)
    weights, eps = load_weights(args.layer)
    x = np.load(args.x).astype(np.float64)
    padding = np.load(args.padding)
    got = np.load(args.y).astype(np.float64)
    want = reference(weights, eps, x, padding, args.heads)
    if got.shape != want.shape:
        print("shape mismatch: got %s, want %s" % (got.shape, want.shape))
        return 1
    # Relative to the output's scale (layer-normalised values are O(1)).
    error = np.abs(got - want) / np.maximum(np.abs(want), 1.0)
    worst = np.unravel_index(np.argmax(error), error.shape)
    print("seq %d: max relative error %.3g at %s (got %.7g, want %.7g)"
          % (x.shape[1], error.max(), worst, got[worst], want[worst]))
    return 0 if error.max() <= args.rtol else 1


if __name__ == "__main__":
    sys.exit(main())

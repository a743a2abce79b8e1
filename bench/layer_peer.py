#!/usr/bin/env python3
"""The peer for bench/layer_bench.sh: examples/encoder_layer.py's layer in
PyTorch, float32 on the CPU, with the weights read out of the generated
.mlir. Prints the median time of --runs runs after 2 warm-up runs and the
largest difference from Tessera's output.

    layer_peer.py LAYER.mlir X.npy PADDING.npy Y.npy --heads 12 --runs 7
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "test", "e2e"))
from encoder_layer_reference import load_weights  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("layer")
    parser.add_argument("x")
    parser.add_argument("padding")
    parser.add_argument("y")
    parser.add_argument("--heads", type=int, required=True)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    # As many threads as lavapipe uses (one per core).
    torch.set_num_threads(os.cpu_count())
    weights, eps = load_weights(args.layer)
    w = {k: torch.from_numpy(v.astype(np.float32)) for k, v in weights.items()}
    x = torch.from_numpy(np.load(args.x))
    padding = torch.from_numpy(np.load(args.padding))
    hidden = x.shape[-1]
    ffn = w["b1"].numel()
    d = hidden // args.heads
    seq = x.shape[1]

    def linear(v, name, n, k):
        return torch.nn.functional.linear(v, w["w" + name].reshape(n, k), w["b" + name])

    def layer():
        split = lambda t: t.reshape(1, seq, args.heads, d).transpose(1, 2)
        q, k, v = (split(linear(x, n, hidden, hidden)) for n in "qkv")
        scores = q @ k.transpose(-1, -2) / d ** 0.5
        scores = scores.masked_fill(~padding[:, None, None, :], float("-inf"))
        attn = torch.softmax(scores, -1) @ v
        attn = attn.transpose(1, 2).reshape(1, seq, hidden)
        h = torch.nn.functional.layer_norm(linear(attn, "o", hidden, hidden) + x, (hidden,),
                                           w["ln1_gamma"], w["ln1_beta"], eps)
        f = linear(torch.nn.functional.gelu(linear(h, "1", ffn, hidden)), "2", hidden, ffn)
        return torch.nn.functional.layer_norm(f + h, (hidden,), w["ln2_gamma"],
                                              w["ln2_beta"], eps)

    with torch.inference_mode():
        for _ in range(2):
            y = layer()
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            y = layer()
            times.append(time.perf_counter() - start)
    diff = np.abs(y.numpy() - np.load(args.y)).max()
    print("pytorch: median %.3f ms of %d runs (%d threads), max |diff| vs tessera %.2g"
          % (statistics.median(times) * 1e3, args.runs, torch.get_num_threads(), diff))


if __name__ == "__main__":
    main()

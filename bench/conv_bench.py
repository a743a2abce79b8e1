#!/usr/bin/env python3
"""A 3x3 convolution at the VAE decoder's mid-block shape (512 channels in
and out, 64x64, pad 1, bias; batch 1, f32) on the default device, against

  - Tessera's matmul kernel at the same FLOPs: a linear of 4096 rows
    (the output positions) by K = 512 * 9 into 512 columns, whose rows
    are contiguous (the im2col matrix already materialised, for free);
  - PyTorch's conv2d on the CPU (float32, as many threads as cores,
    OpenBLAS), the same weights and input.

Each Tessera binary is timed by `tessera-run --profile` (device timestamps,
median of RUNS runs after the first); the two alternate ROUNDS times so
that a change in the machine's load reaches both, and PyTorch is timed in
the same run. Prints GFLOP/s (2 * F * C * 9 * 64 * 64 per convolution)
and the ratios, and checks Tessera's output against PyTorch's.

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread \\
        bench/conv_bench.py [--build build] [--runs 5] [--rounds 3] [--size 64]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch


def tensor(shape):
    return "tensor<" + "x".join(str(d) for d in shape) + "xf32>"


def conv_source(channels, size):
    x, w = tensor([1, channels, size, size]), tensor([channels, channels, 3, 3])
    b = tensor([channels])
    return f"""func.func @main(%x: {x} {{tessera.name = "x"}}) -> {x} {{
  %w = tessera.constant dense_resource<w> : {w}
  %b = tessera.constant dense_resource<b> : {b}
  %y = tessera.conv %x, %w, %b {{strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64}} : ({x}, {w}, {b}) -> {x}
  return %y : {x}
}}
"""


def matmul_source(channels, size):
    rows, k = size * size, channels * 9
    x, w, y = tensor([rows, k]), tensor([channels, k]), tensor([rows, channels])
    b = tensor([channels])
    return f"""func.func @main(%x: {x} {{tessera.name = "x"}}) -> {y} {{
  %w = tessera.constant dense_resource<w> : {w}
  %b = tessera.constant dense_resource<b> : {b}
  %y = tessera.linear %x, %w, %b : ({x}, {w}, {b}) -> {y}
  return %y : {y}
}}
"""


def with_resources(source, resources):
    """`source` with its dense_resource blobs (little-endian f32, after
    MLIR's 4-byte alignment word)."""
    blobs = ",\n".join(
        f'      {name}: "0x04000000{values.astype("<f4").tobytes().hex().upper()}"'
        for name, values in resources.items())
    return source + "{-#\n  dialect_resources: {\n    builtin: {\n" + blobs + "\n    }\n  }\n#-}\n"


def profile_ms(build, model, inputs, runs, out):
    command = [os.path.join(build, "bin", "tessera-run"), model, "--repeat",
               str(runs + 1), "--profile", "--output-dir", out]
    for name, path in inputs.items():
        command += ["--input", f"{name}={path}"]
    text = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return float(re.search(r"^\s*total ([0-9.]+) ms", text, re.M).group(1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "build"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--channels", type=int, default=512)
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args()
    c, s = args.channels, args.size
    flops = 2 * c * c * 9 * s * s
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, c, s, s), dtype=np.float32)
    w = (rng.standard_normal((c, c, 3, 3), dtype=np.float32) / np.sqrt(c * 9)).astype(np.float32)
    b = rng.standard_normal(c, dtype=np.float32)

    with tempfile.TemporaryDirectory() as work:
        sources = {
            "conv": with_resources(conv_source(c, s), {"w": w, "b": b}),
            "matmul": with_resources(matmul_source(c, s), {"w": w.reshape(c, -1), "b": b}),
        }
        inputs = {"conv": {"x": os.path.join(work, "x.npy")},
                  "matmul": {"x": os.path.join(work, "rows.npy")}}
        np.save(inputs["conv"]["x"], x)
        np.save(inputs["matmul"]["x"], rng.standard_normal((s * s, c * 9), dtype=np.float32))
        for name, source in sources.items():
            with open(os.path.join(work, name + ".mlir"), "w") as f:
                f.write(source)
            subprocess.run([os.path.join(args.build, "bin", "tessera-compile"),
                            os.path.join(work, name + ".mlir"), "-o",
                            os.path.join(work, name + ".tsr")], check=True,
                           capture_output=True)
        times = {"conv": [], "matmul": []}
        for _ in range(args.rounds):
            for name in times:
                times[name].append(profile_ms(args.build, os.path.join(work, name + ".tsr"),
                                              inputs[name], args.runs,
                                              os.path.join(work, "out-" + name)))
        out = os.path.join(work, "out-conv")
        got = np.load(os.path.join(out, os.listdir(out)[0]))

    torch.set_num_threads(os.cpu_count())
    tx, tw, tb = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)
    with torch.no_grad():
        want = torch.nn.functional.conv2d(tx, tw, tb, padding=1)
        torch_ms = []
        for _ in range(2 + args.runs * args.rounds):
            start = time.perf_counter()
            torch.nn.functional.conv2d(tx, tw, tb, padding=1)
            torch_ms.append((time.perf_counter() - start) * 1e3)
        torch_ms = torch_ms[2:]
    error = float(np.max(np.abs(got - want.numpy())) / max(1.0, float(want.abs().max())))

    conv_ms = statistics.median(times["conv"])
    matmul_ms = statistics.median(times["matmul"])
    peer_ms = statistics.median(torch_ms)
    gflops = lambda ms: flops / ms / 1e6
    print(f"3x3 conv {c} -> {c} channels at {s}x{s}: {flops / 1e9:.2f} GFLOP")
    print(f"  tessera conv     {conv_ms:9.1f} ms  {gflops(conv_ms):6.1f} GFLOP/s  "
          f"(rounds: {', '.join(f'{t:.1f}' for t in times['conv'])})")
    print(f"  tessera matmul   {matmul_ms:9.1f} ms  {gflops(matmul_ms):6.1f} GFLOP/s  "
          f"(rounds: {', '.join(f'{t:.1f}' for t in times['matmul'])})")
    print(f"  pytorch conv2d   {peer_ms:9.1f} ms  {gflops(peer_ms):6.1f} GFLOP/s  "
          f"({torch.get_num_threads()} threads)")
    print(f"  conv / matmul time {conv_ms / matmul_ms:.2f}x, conv / pytorch time "
          f"{conv_ms / peer_ms:.2f}x; largest difference from PyTorch {error:.1e} "
          f"(relative to the largest output)")
    return 0 if error < 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())

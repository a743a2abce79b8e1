#!/usr/bin/env python3
"""A dequantized weight read by ops other than a linear: a matmul reading
it as its rhs (a dispatch of its own materialises it first) and a
returned transpose (evaluated per element by its dispatch). Compiled and
run on the default device against numpy.

    dequantize_readers.py WORK_DIR      (tessera-compile, tessera-run on PATH)
"""
import os
import subprocess
import sys

import numpy as np

work = sys.argv[1]
os.makedirs(work, exist_ok=True)
n, k, m = 24, 64, 5
rng = np.random.default_rng(0)
q = rng.integers(-8, 8, size=(n, k))
packed = np.zeros((n, k // 8), dtype=np.uint32)
for t in range(8):  # value t of a word in bits [4t, 4t + 4), two's complement
    packed |= ((q[:, t::8] & 0xF).astype(np.uint32) << (4 * t))
s = (rng.random((n, 2)) * 0.1).astype(np.float32)
x = rng.standard_normal((m, n)).astype(np.float32)
mlir = f'''func.func @f(%x: tensor<{m}x{n}xf32> {{tessera.name = "x"}}, %q: tensor<{n}x8xi32> {{tessera.name = "q"}}, %s: tensor<{n}x2xf32> {{tessera.name = "s"}}) -> (tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32>) {{
  %w = tessera.dequantize %q, %s {{bits = 4 : i64, group_size = 32 : i64}} : (tensor<{n}x8xi32>, tensor<{n}x2xf32>) -> tensor<{n}x{k}xf32>
  %0 = tessera.matmul %x, %w : (tensor<{m}x{n}xf32>, tensor<{n}x{k}xf32>) -> tensor<{m}x{k}xf32>
  %1 = tessera.transpose %w, [1, 0] : tensor<{n}x{k}xf32> -> tensor<{k}x{n}xf32>
  return %0, %1 : tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32>
}}'''
path = lambda name: os.path.join(work, name)
open(path("m.mlir"), "w").write(mlir)
for name, array in (("x", x), ("q", packed.view(np.int32)), ("s", s)):
    np.save(path(name + ".npy"), array)
subprocess.run(["tessera-compile", path("m.mlir"), "-o", path("m.tsr")], check=True,
               capture_output=True)
info = subprocess.run(["tessera-run", "--info", path("m.tsr")], capture_output=True,
                      text=True, check=True).stdout
print("\n".join(line for line in info.splitlines() if line.startswith("  ") and ": " in line
                and line.strip()[0].isdigit()))
subprocess.run(["tessera-run", path("m.tsr"), "--input", "x=" + path("x.npy"),
                "--input", "q=" + path("q.npy"), "--input", "s=" + path("s.npy"),
                "--output-dir", path("out")], check=True, capture_output=True)
w = q * np.repeat(s.astype(np.float64), 32, axis=1)
product = np.abs(np.load(path("out/output0.npy")) - x.astype(np.float64) @ w).max()
transposed = np.abs(np.load(path("out/output1.npy")) - w.T).max()
print("matmul max error %.1e: %s" % (product, "ok" if product < 1e-4 else "FAIL"))
print("transpose max error %.1e: %s" % (transposed, "ok" if transposed < 1e-6 else "FAIL"))

#!/usr/bin/env python3
"""Decode steps of GPT-2 124M (tied LM head): one new token against a key/
value cache of `--past` positions, the cache given as inputs and the
presents returned (the host round trip that a generation loop with a
device-resident cache would remove). Compiles the export with no flags,
f32 and --precision=f16, runs each step `--runs` times with tessera-run
on the default device, and reports per precision: the step's median time
(runs after the first), tokens/s, the weight bytes read per step over the
step time (GB/s) against this machine's memcpy bandwidth (numpy, the
bound), and PyTorch's own f32 decode step on the CPU in the same run.
Too slow for CI; results go in docs/benchmarks.md.

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread \\
    /usr/bin/python3 bench/decode_step.py [--past 128] [--runs 20]
"""
import argparse
import importlib.util
import os
import re
import subprocess
import sys
import time

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "families", os.path.join(HERE, "..", "test", "models", "families.py"))
families = importlib.util.module_from_spec(spec)
spec.loader.exec_module(families)
GPT2_124M = dict(HIDDEN=768, HEADS=12, FFN=3072, LAYERS=12, VOCAB=50257, MAX_POS=1024)


class Gpt2PastLMHead(families.Gpt2Past):
    """Gpt2Past at whatever size families.py is set to, with the LM head
    tied to the token embedding: logits, then every layer's presents."""

    def __init__(self):
        super().__init__()
        layers = families.LAYERS
        self.inputs = {"input_ids": ("ids", {0: "batch", 1: "seq"}),
                       "attention_mask": ("padding", {0: "batch", 1: "past+seq"})}
        self.output_names = ["logits"]
        for i in range(layers):
            self.inputs["past_key_%d" % i] = ("cache", {0: "batch", 2: "past"})
            self.inputs["past_value_%d" % i] = ("cache", {0: "batch", 2: "past"})
            self.output_names += ["present_key_%d" % i, "present_value_%d" % i]

    def forward(self, input_ids, attention_mask, *past):
        hidden, *presents = super().forward(input_ids, attention_mask, *past)
        return (nn.functional.linear(hidden, self.wte.weight), *presents)


def median(values):
    return float(np.median(np.array(values)))


def memcpy_gbs(megabytes=256, rounds=7):
    source = np.ones(megabytes * 2**20 // 4, dtype=np.float32)
    target = np.empty_like(source)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        np.copyto(target, source)
        times.append(time.perf_counter() - start)
    return source.nbytes / median(times) / 1e9


def tessera_step(tools, binary, names, paths, runs, out):
    command = [os.path.join(tools, "tessera-run"), binary, "--repeat", str(runs),
               "--output-dir", out]
    for name, path in zip(names, paths):
        command += ["--input", "%s=%s" % (name, path)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        sys.exit("tessera-run failed:\n" + result.stderr[-3000:])
    times = [float(t) / 1e3 for t in re.findall(r"^run \d+: ([0-9.]+) ms", result.stdout, re.M)]
    return median(times[1:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--past", type=int, default=128)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--work", default="/tmp/tessera-decode")
    parser.add_argument("--tools", default=os.path.join(HERE, "..", "build", "bin"))
    args = parser.parse_args()
    for name, value in GPT2_124M.items():
        setattr(families, name, value)
    os.makedirs(args.work, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(os.cpu_count())
    model = Gpt2PastLMHead().eval()
    inputs = families.example_inputs(model, batch=1, seq=1, past=args.past)
    names = list(model.inputs)
    dynamic = {name: axes for name, (_, axes) in model.inputs.items()}
    dynamic["logits"] = {0: "batch", 1: "seq"}
    for name in model.output_names[1:]:
        dynamic[name] = {0: "batch", 2: "past+seq"}
    onnx_path = os.path.join(args.work, "gpt2-past.onnx")
    torch.onnx.export(model, inputs, onnx_path, input_names=names,
                      output_names=model.output_names, dynamic_axes=dynamic,
                      opset_version=17, do_constant_folding=True)
    paths = []
    for name, tensor in zip(names, inputs):
        paths.append(os.path.join(args.work, "input_%s.npy" % name))
        np.save(paths[-1], tensor.numpy())

    with torch.no_grad():
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            logits = model(*inputs)[0].numpy()
            times.append(time.perf_counter() - start)
    torch_step = median(times[1:])
    bound = memcpy_gbs()
    print("past %d; memcpy %.1f GB/s; PyTorch f32 step %.1f ms (%.1f tokens/s)"
          % (args.past, bound, torch_step * 1e3, 1 / torch_step))
    print("| weights | compiled with | bytes | step | tokens/s | GB/s | of memcpy "
          "| vs PyTorch f32 | logits error |")
    print("|---|---|---|---|---|---|---|---|---|")
    # No flags (one binary for prefill and decoding: tiles sized for 512
    # tokens), then a binary for one token per step (decode tiles).
    for precision, flags in (("f32", []), ("f32", ["--dim", "seq=1"]),
                             ("f16", ["--dim", "seq=1"])):
        binary = os.path.join(args.work, "gpt2-past-%s.tsr" % precision)
        compiled = subprocess.run(
            [os.path.join(args.tools, "tessera-compile"), onnx_path, "-o", binary,
             "--precision=%s" % precision] + flags, capture_output=True, text=True)
        if compiled.returncode:
            sys.exit("tessera-compile failed:\n" + compiled.stderr[-3000:])
        weights = int(re.search(r"weights (\d+) bytes", compiled.stderr).group(1))
        out = os.path.join(args.work, "out-%s" % precision)
        step = tessera_step(args.tools, binary, names, paths, args.runs, out)
        ours = np.load(os.path.join(out, "logits.npy"))
        error = float(np.max(np.abs(ours - logits) / np.maximum(np.abs(logits), 1)))
        print("| %s | %s | %.0f MB | %.1f ms | %.1f | %.2f | %.0f %% | %.2fx | %.1e |"
              % (precision, " ".join(flags) or "no flags", weights / 1e6, step * 1e3,
                 1 / step, weights / step / 1e9, 100 * weights / step / 1e9 / bound,
                 torch_step / step, error))
    return 0


if __name__ == "__main__":
    sys.exit(main())

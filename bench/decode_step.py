#!/usr/bin/env python3
"""Decode steps of GPT-2 124M (tied LM head): one new token against a key/
value cache of `--past` positions, the cache given as inputs and the
presents returned (the host round trip that a generation loop with a
device-resident cache would remove). Compiles the export with no flags,
f32, --precision=f16, --weights=int8 and --weights=int4, then runs
`--rounds` rounds that each time `--runs` steps of PyTorch's own f32 decode
on the CPU (in a process of its own) and of every binary with tessera-run
on the default device (so that a busy spell of a shared machine falls on
all alike), and reports per
form: the median step (the first of each tessera-run dropped), tokens/s,
the bytes of linear weights (and their scales) read per step over the step
time (GB/s) against this machine's memcpy bandwidth (numpy, the bound),
the logits' error against PyTorch, and the device time per kernel kind
(tessera-run --profile, median over the rounds) with the matmul kernels'
own GB/s.
Too slow for CI; results go in docs/benchmarks.md.

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread \\
    /usr/bin/python3 bench/decode_step.py [--past 128] [--runs 8] [--rounds 5]
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


def export(model, inputs, path):
    """Exports a Gpt2PastLMHead as Hugging Face's decoders are exported: every
    axis that can vary dynamic (batch, sequence, past)."""
    dynamic = {name: axes for name, (_, axes) in model.inputs.items()}
    dynamic["logits"] = {0: "batch", 1: "seq"}
    for name in model.output_names[1:]:
        dynamic[name] = {0: "batch", 2: "past+seq"}
    torch.onnx.export(model, inputs, path, input_names=list(model.inputs),
                      output_names=model.output_names, dynamic_axes=dynamic,
                      opset_version=17, do_constant_folding=True)


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


def tessera_steps(tools, binary, names, paths, runs, out):
    """The times of `runs` steps of one tessera-run, the first dropped."""
    command = [os.path.join(tools, "tessera-run"), binary, "--repeat", str(runs),
               "--output-dir", out]
    for name, path in zip(names, paths):
        command += ["--input", "%s=%s" % (name, path)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        sys.exit("tessera-run failed:\n" + result.stderr[-3000:])
    times = [float(t) / 1e3 for t in re.findall(r"^run \d+: ([0-9.]+) ms", result.stdout, re.M)]
    return times[1:]


def device_profile(tools, binary, names, paths):
    """Device time per kernel kind of one step (tessera-run --profile:
    timestamp queries, median of the runs after the first), in seconds."""
    command = [os.path.join(tools, "tessera-run"), binary, "--profile", "--repeat", "3"]
    for name, path in zip(names, paths):
        command += ["--input", "%s=%s" % (name, path)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        sys.exit("tessera-run --profile failed:\n" + result.stderr[-3000:])
    kinds = dict(re.findall(r"^  (\w+) +([0-9.]+) ms", result.stdout, re.M))
    return {kind: float(ms) / 1e3 for kind, ms in kinds.items()}


def torch_steps(args):
    """PyTorch's f32 decode steps, timed in a process of their own: its
    worker threads spin for a while after each step, and would take the
    CPU from the tessera-run that follows."""
    result = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--torch-only", "--past", str(args.past),
         "--runs", str(args.runs), "--work", args.work], capture_output=True, text=True)
    if result.returncode:
        sys.exit("PyTorch steps failed:\n" + result.stderr[-3000:])
    return [float(t) for t in result.stdout.split()]


def run_torch(args, model, inputs):
    """--torch-only: `--runs` steps (the first dropped), their times on
    stdout, the logits into the work folder."""
    with torch.no_grad():
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            logits = model(*inputs)[0].numpy()
            times.append(time.perf_counter() - start)
    np.save(os.path.join(args.work, "torch_logits.npy"), logits)
    print(" ".join("%.6f" % t for t in times[1:]))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--past", type=int, default=128)
    parser.add_argument("--runs", type=int, default=8, help="steps per round and form")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--torch-only", action="store_true", help=argparse.SUPPRESS)
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
    if args.torch_only:
        return run_torch(args, model, inputs)
    onnx_path = os.path.join(args.work, "gpt2-past.onnx")
    export(model, inputs, onnx_path)
    paths = []
    for name, tensor in zip(names, inputs):
        paths.append(os.path.join(args.work, "input_%s.npy" % name))
        np.save(paths[-1], tensor.numpy())

    # Every linear's weight is read once per step (the tied LM head at 8
    # bits under --weights=int4, as tessera-quantize-weights stores tables);
    # the embedding tables only at the token's rows.
    h, v = GPT2_124M["HIDDEN"], GPT2_124M["VOCAB"]
    layers = GPT2_124M["LAYERS"] * (h * 3 * h + h * h + 2 * h * GPT2_124M["FFN"])
    per_weight = {"f32": 4, "f16": 2, "int8": 1 + 2 / h, "int4": 0.5 + 2 / 32}
    head = {"int4": "int8"}
    # No flags (one binary for prefill and decoding: tiles sized for 512
    # tokens), then binaries for one token per step (decode tiles).
    forms = [("f32", []), ("f32", ["--dim", "seq=1"]),
             ("f16", ["--precision=f16", "--dim", "seq=1"]),
             ("int8", ["--weights=int8", "--dim", "seq=1"]),
             ("int4", ["--weights=int4", "--dim", "seq=1"])]
    binaries = []
    for i, (form, flags) in enumerate(forms):
        binaries.append(os.path.join(args.work, "gpt2-past-%d-%s.tsr" % (i, form)))
        compiled = subprocess.run(
            [os.path.join(args.tools, "tessera-compile"), onnx_path, "-o", binaries[-1]]
            + flags, capture_output=True, text=True)
        if compiled.returncode:
            sys.exit("tessera-compile failed:\n" + compiled.stderr[-3000:])

    # Rounds that visit PyTorch and every binary in turn, so that a busy
    # spell of this shared machine falls on all of them alike.
    torch_times, steps = [], [[] for _ in forms]
    profiles = [[] for _ in forms]
    outs = [os.path.join(args.work, "out-%d" % i) for i in range(len(forms))]
    for _ in range(args.rounds):
        torch_times += torch_steps(args)
        for i, binary in enumerate(binaries):
            steps[i] += tessera_steps(args.tools, binary, names, paths, args.runs, outs[i])
            profiles[i].append(device_profile(args.tools, binary, names, paths))
    torch_step = median(torch_times)
    logits = np.load(os.path.join(args.work, "torch_logits.npy"))
    bound = memcpy_gbs()
    print("past %d; %d rounds of %d steps each; memcpy %.1f GB/s; PyTorch f32 step "
          "%.1f ms (%.1f tokens/s)" % (args.past, args.rounds, args.runs, bound,
                                       torch_step * 1e3, 1 / torch_step))
    print("| weights | compiled with | bytes read | step | tokens/s | GB/s | of memcpy "
          "| vs PyTorch f32 | logits error |")
    print("|---|---|---|---|---|---|---|---|---|")
    kernels = []
    for i, (form, flags) in enumerate(forms):
        weights = layers * per_weight[form] + v * h * per_weight[head.get(form, form)]
        step = median(steps[i])
        ours = np.load(os.path.join(outs[i], "logits.npy"))
        error = float(np.max(np.abs(ours - logits) / np.maximum(np.abs(logits), 1)))
        kind = {key: median([p.get(key, 0) for p in profiles[i]])
                for key in ("total", "matmul", "attention", "elementwise")}
        kernels.append("| %s | %s | %.1f ms | %.1f ms | %.2f | %.1f ms | %.1f ms | %.1f ms |" % (
            form, " ".join(flags) or "no flags", step * 1e3, kind["total"] * 1e3,
            weights / kind["matmul"] / 1e9, kind["matmul"] * 1e3,
            kind["attention"] * 1e3, kind["elementwise"] * 1e3))
        print("| %s | %s | %.0f MB | %.1f ms | %.1f | %.2f | %.0f %% | %.2fx | %.1e |"
              % (form, " ".join(flags) or "no flags", weights / 1e6, step * 1e3,
                 1 / step, weights / step / 1e9, 100 * weights / step / 1e9 / bound,
                 torch_step / step, error))
    print("\nDevice time of one step (tessera-run --profile), and the matmul kernels' "
          "weight bytes over their own time:")
    print("| weights | compiled with | step | device | matmul GB/s | matmul | attention "
          "| elementwise (cache concatenation, embedding) |")
    print("|---|---|---|---|---|---|---|---|")
    for line in kernels:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

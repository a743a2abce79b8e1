#!/usr/bin/env python3
"""Text generation with GPT-2 124M (random weights, tied LM head, past
key/values) through tessera-generate on the default device, against
PyTorch's own decoding loop with its KV cache on the CPU (in a process of
its own), in interleaved rounds: prefill tokens/s for the prompt, decode
tokens/s for the new tokens (greedy), and the share of each decode step
spent outside the device (tessera-generate's own report: host work
between the queue's submissions). Forms: f32 compiled with no flags (one
binary for prompt and steps, its tiles sized for 512 tokens); f32 and
--weights=int4 with the steps on a second binary compiled with
--dim seq=1 (tessera-generate --step-model).
Too slow for CI; results go in docs/benchmarks.md.

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread \\
    /usr/bin/python3 bench/generate.py [--prompt 32] [--new 64] [--rounds 3]
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

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("decode_step",
                                              os.path.join(HERE, "decode_step.py"))
decode_step = importlib.util.module_from_spec(spec)
spec.loader.exec_module(decode_step)
families = decode_step.families


def build_model():
    for name, value in decode_step.GPT2_124M.items():
        setattr(families, name, value)
    torch.manual_seed(0)
    return decode_step.Gpt2PastLMHead().eval()


def torch_generate(model, prompt, new):
    """PyTorch's decoding loop with its cache: (prefill s, decode s, ids)."""
    heads = families.HEADS
    past = [torch.zeros(1, heads, 0, families.HIDDEN // heads)
            for _ in range(2 * families.LAYERS)]
    ids = torch.tensor([prompt])
    generated, times = [], []
    with torch.no_grad():
        for _ in range(new):
            start = time.perf_counter()
            length = past[0].size(2) + ids.size(1)
            logits, *past = model(ids, torch.ones(1, length, dtype=torch.long), *past)
            next_id = int(torch.argmax(logits[0, -1]))
            times.append(time.perf_counter() - start)
            generated.append(next_id)
            ids = torch.tensor([[next_id]])
    return times[0], sum(times[1:]), generated


def run_torch_only(args):
    torch.set_num_threads(os.cpu_count())
    model = build_model()
    prompt = [int(x) for x in args.prompt_ids.split(",")]
    torch_generate(model, prompt[:4], 2)  # the process's first calls warm up
    prefill, decode, ids = torch_generate(model, prompt, args.new)
    print("%.6f %.6f %s" % (prefill, decode, ",".join(map(str, ids))))
    return 0


def torch_round(args, prompt):
    result = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--torch-only", "--new", str(args.new),
         "--prompt-ids", ",".join(map(str, prompt))], capture_output=True, text=True)
    if result.returncode:
        sys.exit("PyTorch failed:\n" + result.stderr[-3000:])
    prefill, decode, ids = result.stdout.split()
    return float(prefill), float(decode), [int(x) for x in ids.split(",")]


STATS = re.compile(r"prompt: (\d+) tokens, prefill ([\d.]+) s .*decode: (\d+) tokens in "
                   r"([\d.]+) s \(([\d.]+) tokens/s, ([\d.]+)% of each step outside")


def tessera_round(args, binary, prompt):
    prompt_binary, step_binary = binary
    step = ["--step-model", step_binary] if step_binary else []
    result = subprocess.run(
        [os.path.join(args.tools, "tessera-generate"), prompt_binary, "--prompt-ids",
         ",".join(map(str, prompt)), "--max-tokens", str(args.new), "--ids"] + step,
        capture_output=True, text=True)
    if result.returncode:
        sys.exit("tessera-generate failed:\n" + result.stderr[-3000:])
    match = STATS.search(result.stderr)
    ids = [int(x) for x in result.stdout.split()]
    return float(match.group(2)), float(match.group(4)), float(match.group(6)), ids


def median(values):
    return float(np.median(values))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompt", type=int, default=32, help="prompt tokens")
    parser.add_argument("--new", type=int, default=64, help="new tokens")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", default="/tmp/tessera-generate-bench")
    parser.add_argument("--tools", default=os.path.join(HERE, "..", "build", "bin"))
    parser.add_argument("--torch-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--prompt-ids", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.torch_only:
        return run_torch_only(args)

    os.makedirs(args.work, exist_ok=True)
    model = build_model()
    inputs = families.example_inputs(model, batch=1, seq=1, past=4)
    onnx_path = os.path.join(args.work, "gpt2-124m.onnx")
    decode_step.export(model, inputs, onnx_path)
    def compile_binary(name, flags):
        path = os.path.join(args.work, "gpt2-124m-%s.tsr" % name)
        subprocess.run([os.path.join(args.tools, "tessera-compile"), onnx_path,
                        "-o", path] + flags, check=True, capture_output=True)
        return path

    f32 = compile_binary("f32", [])
    f32_step = compile_binary("f32-step", ["--dim", "seq=1"])
    int4 = compile_binary("int4", ["--weights=int4"])
    int4_step = compile_binary("int4-step", ["--weights=int4", "--dim", "seq=1"])
    binaries = [("f32, one binary", (f32, None)),
                ("f32, step binary", (f32, f32_step)),
                ("int4, step binary", (int4, int4_step))]
    prompt = list(np.random.default_rng(1).integers(0, families.VOCAB, args.prompt))
    for _, binary in binaries:  # compiles the kernels once, into the cache
        tessera_round(args, binary, prompt[:4])
    results = {"torch": []}
    for form, _ in binaries:
        results[form] = []
    for r in range(args.rounds):
        results["torch"].append(torch_round(args, prompt))
        for form, binary in binaries:
            results[form].append(tessera_round(args, binary, prompt))
        print("round %d done" % (r + 1), file=sys.stderr)

    torch_ids = results["torch"][0][2]
    t_prefill = median([r[0] for r in results["torch"]])
    t_decode = median([r[1] for r in results["torch"]])
    steps = args.new - 1
    print("GPT-2 124M, prompt %d tokens, %d new tokens (greedy), median of %d rounds"
          % (args.prompt, args.new, args.rounds))
    print("%-26s %12s %12s %12s %10s %10s" % ("", "prefill tok/s", "decode tok/s",
                                               "outside dev", "vs torch", "same ids"))
    print("%-26s %12.1f %12.1f %12s %10s %10s" % ("PyTorch (CPU, f32)", args.prompt / t_prefill,
                                                  steps / t_decode, "-", "1.00x", "-"))
    for form, _ in binaries:
        rows = results[form]
        prefill = median([r[0] for r in rows])
        decode = median([r[1] for r in rows])
        outside = median([r[2] for r in rows])
        same = sum(a == b for a, b in zip(rows[0][3], torch_ids))
        print("%-26s %12.1f %12.1f %11.1f%% %9.2fx %6d/%d" % (
            "tessera %s" % form, args.prompt / prefill, steps / decode, outside,
            t_decode / decode, same, len(torch_ids)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

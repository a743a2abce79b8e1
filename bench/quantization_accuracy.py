#!/usr/bin/env python3
"""What integer weights cost in accuracy (tessera-compile --weights), on
this machine's default device:

- GPT-2 with its tied LM head, at the test/models config and at the 124M
  shape (random weights, seed 0): top-1 next-token agreement with the f32
  binary over every position of a batch (>= 1,000 positions), the logits'
  RMS error over their RMS, and their largest error relative to
  max(|f32|, 1);
- BERT and ViT at the test/models config: the output's largest error
  against PyTorch, relative to max(|reference|, 1).

Each mode is compiled from the same export: f32, --precision=f16,
--weights=int8, --weights=int4 (groups of 32) and --weights=int4:128.
Too slow for CI; results go in docs/benchmarks.md.

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread \\
    /usr/bin/python3 bench/quantization_accuracy.py [--work DIR] [--skip-124m]
"""
import argparse
import importlib.util
import os
import subprocess
import sys

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "families", os.path.join(HERE, "..", "test", "models", "families.py"))
families = importlib.util.module_from_spec(spec)
spec.loader.exec_module(families)

MODES = [("f32", []), ("f16", ["--precision=f16"]), ("int8", ["--weights=int8"]),
         ("int4", ["--weights=int4"]), ("int4:128", ["--weights=int4:128"])]
SMALL = dict(HIDDEN=64, HEADS=4, FFN=128, LAYERS=2, VOCAB=97, MAX_POS=64)
GPT2_124M = dict(HIDDEN=768, HEADS=12, FFN=3072, LAYERS=12, VOCAB=50257, MAX_POS=1024)


class Gpt2LMHead(families.Gpt2):
    """GPT-2 with its LM head tied to the token embedding."""

    def forward(self, input_ids, attention_mask):
        return nn.functional.linear(super().forward(input_ids, attention_mask),
                                    self.wte.weight)


def configure(sizes):
    for name, value in sizes.items():
        setattr(families, name, value)


def tool(args, name):
    return os.path.join(args.tools, name)


def export(model, inputs, path):
    names = list(model.inputs)
    dynamic = {name: axes for name, (_, axes) in model.inputs.items()}
    dynamic["output"] = {0: "batch", 1: "seq"}
    torch.onnx.export(model, inputs, path, input_names=names, output_names=["output"],
                      dynamic_axes=dynamic, opset_version=17)
    return names


def run_modes(args, onnx_path, names, batches, dims, tag):
    """Each mode's outputs for the input tuples in `batches` (concatenated
    along dim 0), compiled once with `dims` fixed."""
    runs = []
    for b, inputs in enumerate(batches):
        paths = []
        for name, tensor in zip(names, inputs):
            paths.append(os.path.join(args.work, "%s_%d_%s.npy" % (tag, b, name)))
            np.save(paths[-1], tensor.numpy())
        runs.append(paths)
    outputs = {}
    for mode, flags in MODES:
        binary = os.path.join(args.work, "%s-%s.tsr" % (tag, mode))
        command = [tool(args, "tessera-compile"), onnx_path, "-o", binary] + flags
        for dim in dims:
            command += ["--dim", dim]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode:
            sys.exit("tessera-compile failed:\n" + result.stderr[-3000:])
        parts = []
        for paths in runs:
            out = os.path.join(args.work, "%s-out-%s" % (tag, mode))
            command = [tool(args, "tessera-run"), binary, "--output-dir", out]
            for name, path in zip(names, paths):
                command += ["--input", "%s=%s" % (name, path)]
            result = subprocess.run(command, capture_output=True, text=True)
            if result.returncode:
                sys.exit("tessera-run failed:\n" + result.stderr[-3000:])
            parts.append(np.load(os.path.join(out, "output.npy")))
        outputs[mode] = np.concatenate(parts)
    return outputs


def relative_error(got, want):
    return float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1)))


def gpt2(args, sizes, label, batch, seq, runs):
    """`runs` batches of `batch` x `seq` random tokens (the logits of one
    run must fit a storage-buffer binding)."""
    configure(sizes)
    torch.manual_seed(0)
    model = Gpt2LMHead().eval()
    gen = torch.Generator().manual_seed(1)
    batches = [(torch.randint(0, families.VOCAB, (batch, seq), generator=gen),
                torch.ones(batch, seq, dtype=torch.long)) for _ in range(runs)]
    path = os.path.join(args.work, "gpt2-%s.onnx" % label.replace(" ", "-"))
    names = export(model, batches[0], path)
    with torch.no_grad():
        reference = np.concatenate([model(*inputs).numpy() for inputs in batches])
    outputs = run_modes(args, path, names, batches,
                        ["batch=%d" % batch, "seq=%d" % seq], "gpt2-" + label.replace(" ", "-"))
    f32 = outputs["f32"]
    print("\nGPT-2 %s, %d positions (%d x %d x %d tokens); f32 binary against PyTorch: "
          "top-1 %.2f %%, logits error %.1e" % (
              label, runs * batch * seq, runs, batch, seq,
              100 * np.mean(f32.argmax(-1) == reference.argmax(-1)),
              relative_error(f32, reference)))
    print("| weights | top-1 agreement with f32 | logits: RMS error / RMS | largest error |")
    print("|---|---|---|---|")
    for mode, _ in MODES[1:]:
        agreement = np.mean(outputs[mode].argmax(-1) == f32.argmax(-1))
        rms = np.sqrt(np.mean((outputs[mode] - f32) ** 2) / np.mean(f32 ** 2))
        print("| %s | %.2f %% | %.1e | %.1e |" % (mode, 100 * agreement, rms,
                                                 relative_error(outputs[mode], f32)))


def encoder(args, family):
    configure(SMALL)
    torch.manual_seed(0)
    model = families.FAMILIES[family]().eval()
    inputs = families.example_inputs(model, batch=2, seq=11, fully_padded=False)
    path = os.path.join(args.work, "%s.onnx" % family)
    names = export(model, inputs, path)
    with torch.no_grad():
        reference = model(*inputs).numpy()
    dims = ["batch=2"] + (["seq=11"] if family == "bert" else [])
    outputs = run_modes(args, path, names, [inputs], dims, family)
    print("| %s (test config) | %s |" % (family, " | ".join(
        "%.1e" % relative_error(outputs[mode], reference) for mode, _ in MODES)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default="/tmp/tessera-quantization")
    parser.add_argument("--tools", default=os.path.join(HERE, "..", "build", "bin"))
    parser.add_argument("--skip-124m", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    torch.set_num_threads(os.cpu_count())
    print("Output error against PyTorch f32, relative to max(|reference|, 1):")
    print("| model | " + " | ".join(mode for mode, _ in MODES) + " |")
    print("|---|" + "---|" * len(MODES))
    for family in ("bert", "vit"):
        encoder(args, family)
    gpt2(args, SMALL, "test config", 16, 64, 1)
    if not args.skip_124m:
        gpt2(args, GPT2_124M, "124M", 2, 256, 2)
    return 0


if __name__ == "__main__":
    sys.exit(main())

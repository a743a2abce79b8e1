#!/usr/bin/env python3
"""A decoder exported from PyTorch, and PyTorch's greedy decoding of it:
what tessera-generate must reproduce token for token.

--family gpt2-lm (default): test/models' GPT-2 language model with its past
keys and values (Hugging Face's module and parameter names, 2 layers,
hidden 64, seeded weights), with the vocabulary size given, so that a real
tokenizer's ids are in range. The reference loop is the one transformers'
generate() runs with use_cache: the prompt with an empty cache, then one
token per step with the cache the model returned.
--family blip-lm / transformer-lm: BLIP's text decoder with cross-attention
over image features, and nn.Transformer as a translation model; no cache:
each step runs the whole sequence, with the other inputs (image features
and mask; source tokens) fixed, saved as OUT_DIR/input_NAME.npy.
Either way the next token is the first largest logit.

usage: make_decoder.py OUT_DIR --prompt-ids 1,2,3 [--family F] [--vocab N]
       [--steps 32]
  writes OUT_DIR/model.onnx and OUT_DIR/expected.txt (the new ids), and
  fails if two logits were ever closer than --margin at a chosen token
  (a tie the test could not decide).
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "models"))
import families  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--family", default="gpt2-lm",
                        choices=["gpt2-lm", "blip-lm", "transformer-lm"])
    parser.add_argument("--vocab", type=int, default=97)
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--prompt-ids", required=True)
    parser.add_argument("--steps", type=int, default=32)
    parser.add_argument("--margin", type=float, default=1e-4)
    args = parser.parse_args()
    families.VOCAB = args.vocab
    os.makedirs(args.out, exist_ok=True)

    torch.manual_seed(0)
    model = families.FAMILIES[args.family]().eval()
    # Weights large enough that the next token depends on the whole context
    # (at the family's small initial scale, a tied head echoes the last
    # token and a broken cache would go unseen).
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if parameter.dim() >= 2:
                parameter.normal_(0, 0.35)
    inputs = families.example_inputs(model, batch=1, seq=5, past=3,
                                     fully_padded=False)
    names = list(model.inputs)
    dynamic = {name: axes for name, (_, axes) in model.inputs.items()}
    dynamic.update(model.outputs)
    torch.onnx.export(model, inputs, os.path.join(args.out, "model.onnx"),
                      input_names=names, output_names=list(model.outputs),
                      dynamic_axes=dynamic, opset_version=args.opset)

    prompt = [int(x) for x in args.prompt_ids.split(",")]
    cached = args.family == "gpt2-lm"
    # The inputs besides the tokens and their mask, fixed for the loop.
    fixed = {name: tensor for name, tensor in zip(names, inputs)
             if name not in ("input_ids", "attention_mask") and "past" not in name}
    for name, tensor in fixed.items():
        np.save(os.path.join(args.out, "input_%s.npy" % name), tensor.numpy())
    heads, head_dim = families.HEADS, families.HIDDEN // families.HEADS
    past = [torch.zeros(1, heads, 0, head_dim) for name in names if "past" in name]
    ids = torch.tensor([prompt])
    sequence = list(prompt)
    generated, margins = [], []
    with torch.no_grad():
        for _ in range(args.steps):
            if cached:
                length = past[0].size(2) + ids.size(1)
                logits, *past = model(ids, torch.ones(1, length, dtype=torch.long),
                                      *past)
            else:
                given = {"input_ids": torch.tensor([sequence]),
                         "attention_mask": torch.ones(1, len(sequence),
                                                      dtype=torch.long)}
                given.update(fixed)
                logits = model(*[given[name] for name in names])
            last = logits[0, -1]
            top2 = torch.topk(last, 2).values
            margins.append(float(top2[0] - top2[1]))
            next_id = int(torch.argmax(last))
            generated.append(next_id)
            sequence.append(next_id)
            ids = torch.tensor([[next_id]])
    with open(os.path.join(args.out, "expected.txt"), "w") as f:
        f.write(" ".join(map(str, generated)) + "\n")
    print(f"greedy reference: {len(generated)} tokens, smallest top-2 logit "
          f"margin {min(margins):.2e}")
    if min(margins) < args.margin:
        sys.exit(f"make_decoder.py: a top-2 margin of {min(margins):.2e} is "
                 f"below {args.margin}: the comparison could not decide it")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Small-config PyTorch models of the transformer families Tessera imports,
written the way their reference implementations (Hugging Face transformers,
torch.nn, DETR) compute them, so that their ONNX exports have the same
decomposed shapes: attention as MatMul/Div/Add/Softmax/MatMul with the head
split and merge around it, LayerNorm as nn.LayerNorm (one op at opset 17, a
ReduceMean chain below), GELU in the family's own form, masks built from the
model's inputs.

    /usr/bin/python3 test/models/families.py --family bert --opset 14 -o bert.onnx

Weights are random with a fixed seed. With --reference DIR the script also
writes the inputs (input_*.npy), PyTorch's outputs (output_*.npy) and
layers.txt (the layer count) for the end-to-end check.
"""

import argparse
import math
import os
import sys

import numpy as np
import torch
from torch import nn

HIDDEN, HEADS, FFN, LAYERS, VOCAB, MAX_POS = 64, 4, 128, 2, 97, 64


def split_heads(x, heads):
    # Hugging Face's transpose_for_scores: view(B, S, H, D).permute(0, 2, 1, 3).
    new_shape = x.size()[:-1] + (heads, x.size(-1) // heads)
    return x.view(new_shape).permute(0, 2, 1, 3)


def merge_heads(x):
    x = x.permute(0, 2, 1, 3).contiguous()
    return x.view(x.size()[:-2] + (x.size(-2) * x.size(-1),))


class BertLayer(nn.Module):
    """Post-LN encoder layer; erf GELU; additive padding mask."""

    def __init__(self):
        super().__init__()
        self.query, self.key, self.value = (nn.Linear(HIDDEN, HIDDEN) for _ in range(3))
        self.dense = nn.Linear(HIDDEN, HIDDEN)
        self.ln1 = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.intermediate = nn.Linear(HIDDEN, FFN)
        self.output = nn.Linear(FFN, HIDDEN)
        self.ln2 = nn.LayerNorm(HIDDEN, eps=1e-12)

    def forward(self, x, mask):
        q = split_heads(self.query(x), HEADS)
        k = split_heads(self.key(x), HEADS)
        v = split_heads(self.value(x), HEADS)
        scores = torch.matmul(q, k.transpose(-1, -2))
        scores = scores / math.sqrt(HIDDEN // HEADS)
        scores = scores + mask
        probs = nn.functional.softmax(scores, dim=-1)
        context = merge_heads(torch.matmul(probs, v))
        x = self.ln1(self.dense(context) + x)
        h = self.intermediate(x)
        h = h * 0.5 * (1.0 + torch.erf(h / math.sqrt(2.0)))
        return self.ln2(self.output(h) + x)


class Bert(nn.Module):
    inputs = ("input_ids", "attention_mask")
    causal = False

    def __init__(self):
        super().__init__()
        self.words = nn.Embedding(VOCAB, HIDDEN)
        self.positions = nn.Embedding(MAX_POS, HIDDEN)
        self.ln = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.layers = nn.ModuleList(BertLayer() for _ in range(LAYERS))

    def forward(self, input_ids, attention_mask):
        seq = input_ids.size(1)
        positions = torch.arange(seq, dtype=torch.long).unsqueeze(0)
        x = self.ln(self.words(input_ids) + self.positions(positions))
        # get_extended_attention_mask: (1 - m) * finfo.min, broadcast over
        # heads and queries.
        mask = attention_mask[:, None, None, :].to(x.dtype)
        mask = (1.0 - mask) * torch.finfo(x.dtype).min
        for layer in self.layers:
            x = layer(x, mask)
        return x


class Conv1D(nn.Module):
    """GPT-2's linear layer: addmm with a [in, out] weight (exports as Gemm
    or MatMul + Add)."""

    def __init__(self, nf, nx):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(nx, nf) * 0.02)
        self.bias = nn.Parameter(torch.randn(nf) * 0.02)
        self.nf = nf

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


class Gpt2Block(nn.Module):
    """Pre-LN decoder block; packed QKV split; causal mask sliced from a
    lower-triangular table and applied with Where; tanh GELU."""

    def __init__(self):
        super().__init__()
        self.ln_1 = nn.LayerNorm(HIDDEN, eps=1e-5)
        self.c_attn = Conv1D(3 * HIDDEN, HIDDEN)
        self.c_proj = Conv1D(HIDDEN, HIDDEN)
        self.ln_2 = nn.LayerNorm(HIDDEN, eps=1e-5)
        self.c_fc = Conv1D(FFN, HIDDEN)
        self.mlp_proj = Conv1D(HIDDEN, FFN)
        self.register_buffer(
            "bias", torch.tril(torch.ones((MAX_POS, MAX_POS), dtype=torch.bool)).view(1, 1, MAX_POS, MAX_POS))

    def attention(self, x, attention_mask):
        q, k, v = self.c_attn(x).split(HIDDEN, dim=2)
        q, k, v = (split_heads(t, HEADS) for t in (q, k, v))
        w = torch.matmul(q, k.transpose(-1, -2))
        w = w / torch.full([], v.size(-1) ** 0.5, dtype=w.dtype)
        query_length, key_length = q.size(-2), k.size(-2)
        causal = self.bias[:, :, key_length - query_length:key_length, :key_length]
        mask_value = torch.full([], torch.finfo(w.dtype).min, dtype=w.dtype)
        w = torch.where(causal, w.to(w.dtype), mask_value)
        w = w + attention_mask
        w = nn.functional.softmax(w, dim=-1)
        return self.c_proj(merge_heads(torch.matmul(w, v)))

    def forward(self, x, attention_mask):
        x = x + self.attention(self.ln_1(x), attention_mask)
        h = self.c_fc(self.ln_2(x))
        h = 0.5 * h * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (h + 0.044715 * torch.pow(h, 3.0))))
        return x + self.mlp_proj(h)


class Gpt2(nn.Module):
    inputs = ("input_ids", "attention_mask")
    causal = True

    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(VOCAB, HIDDEN)
        self.wpe = nn.Embedding(MAX_POS, HIDDEN)
        self.h = nn.ModuleList(Gpt2Block() for _ in range(LAYERS))
        self.ln_f = nn.LayerNorm(HIDDEN, eps=1e-5)

    def forward(self, input_ids, attention_mask):
        seq = input_ids.size(-1)
        position_ids = torch.arange(0, seq, dtype=torch.long).unsqueeze(0)
        x = self.wte(input_ids) + self.wpe(position_ids)
        mask = attention_mask[:, None, None, :].to(x.dtype)
        mask = (1.0 - mask) * torch.finfo(x.dtype).min
        for block in self.h:
            x = block(x, mask)
        return self.ln_f(x)


FAMILIES = {"bert": Bert, "gpt2": Gpt2}


def example_inputs(model, batch=2, seq=7):
    gen = torch.Generator().manual_seed(1)
    tensors = []
    for name in model.inputs:
        if name == "input_ids":
            tensors.append(torch.randint(0, VOCAB, (batch, seq), generator=gen))
        elif name == "attention_mask":
            mask = torch.ones(batch, seq, dtype=torch.long)
            mask[1, seq - 2:] = 0  # the second sequence is padded
            tensors.append(mask)
    return tuple(tensors)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", required=True, choices=sorted(FAMILIES))
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--reference", help="directory for inputs, outputs and layers.txt")
    args = parser.parse_args()

    torch.manual_seed(0)
    model = FAMILIES[args.family]().eval()
    inputs = example_inputs(model)
    dynamic = {name: {0: "batch", 1: "seq"} for name in model.inputs}
    dynamic["output"] = {0: "batch", 1: "seq"}
    with torch.no_grad():
        torch.onnx.export(model, inputs, args.output, input_names=list(model.inputs),
                          output_names=["output"], dynamic_axes=dynamic,
                          opset_version=args.opset, do_constant_folding=True)
        if args.reference:
            os.makedirs(args.reference, exist_ok=True)
            for name, tensor in zip(model.inputs, inputs):
                np.save(os.path.join(args.reference, "input_%s.npy" % name), tensor.numpy())
            np.save(os.path.join(args.reference, "output_output.npy"), model(*inputs).numpy())


if __name__ == "__main__":
    sys.exit(main())

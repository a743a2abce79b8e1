#!/usr/bin/env python3
"""Writes BERT-base's embedding (word, position and token-type tables, their
sum and the layer norm; random weights) as emb.onnx, and a batch of 8 × 512
token ids as ids.npy / tt.npy, into the current folder: the model of the
index-check and load measurements in docs/benchmarks.md.
"""
import numpy as np
import torch
from torch import nn


class Embedding(nn.Module):
    def __init__(self):
        super().__init__()
        self.word = nn.Embedding(30522, 768)
        self.position = nn.Embedding(512, 768)
        self.token_type = nn.Embedding(2, 768)
        self.norm = nn.LayerNorm(768)

    def forward(self, input_ids, token_type_ids):
        positions = torch.arange(input_ids.shape[1]).unsqueeze(0)
        return self.norm(self.word(input_ids) + self.position(positions) +
                         self.token_type(token_type_ids))


torch.manual_seed(0)
model = Embedding().eval()
ids = torch.randint(0, 30522, (8, 512))
token_types = torch.zeros(8, 512, dtype=torch.long)
axes = {0: "batch", 1: "seq"}
torch.onnx.export(model, (ids, token_types), "emb.onnx",
                  input_names=["input_ids", "token_type_ids"], output_names=["out"],
                  dynamic_axes={"input_ids": axes, "token_type_ids": axes},
                  opset_version=17)
np.save("ids.npy", ids.numpy())
np.save("tt.npy", token_types.numpy())

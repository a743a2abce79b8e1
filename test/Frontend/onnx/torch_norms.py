#!/usr/bin/env python3
"""PyTorch's GroupNorm and InstanceNorm2d as torch.onnx.export writes them
at an opset below 18 (GroupNorm: Reshape to [N, G, -1], InstanceNormalization
with unit scale and zero bias, Reshape back, Mul and Add per channel; a
diffusion model's GroupNorm(32) + SiLU), with a dynamic batch; writes the
model, its input and PyTorch's output.

    torch_norms.py --opset 17 -o model.onnx --reference DIR
"""
import argparse
import os

import numpy as np
import torch
from torch import nn


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("-o", dest="output", required=True)
    parser.add_argument("--reference", required=True)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = nn.Sequential(nn.GroupNorm(3, 6), nn.SiLU(), nn.InstanceNorm2d(6, affine=True)).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn_like(parameter))
    x = torch.randn(2, 6, 4, 5)
    torch.onnx.export(model, (x,), args.output, opset_version=args.opset,
                      input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    os.makedirs(args.reference, exist_ok=True)
    np.save(os.path.join(args.reference, "x.npy"), x.numpy())
    with torch.no_grad():
        np.save(os.path.join(args.reference, "y.npy"), model(x).numpy())


if __name__ == "__main__":
    main()

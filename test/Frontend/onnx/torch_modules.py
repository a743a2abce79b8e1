#!/usr/bin/env python3
"""Small PyTorch modules as torch.onnx.export writes them, with a dynamic
batch; writes the model, its input "x" and PyTorch's output "y".

  norms   GroupNorm(3, 6) + SiLU + InstanceNorm2d(affine): below opset 18
          GroupNorm is Reshape to [N, G, -1], InstanceNormalization with
          unit scale and zero bias, Reshape back, Mul and Add per channel
          (a diffusion model's GroupNorm(32) + SiLU).
  resize  nn.Upsample(scale_factor=2, nearest) as diffusion decoders'
          up-blocks use it, then F.interpolate bilinear with and without
          align_corners (Resize with constant scales), around elementwise
          ops.

    torch_modules.py --module norms --opset 17 -o model.onnx --reference DIR
"""
import argparse
import os

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


class Upsampling(nn.Module):
    def __init__(self):
        super().__init__()
        self.up = nn.Upsample(scale_factor=2.0, mode="nearest")

    def forward(self, x):
        x = self.up(x) + 1.0
        y = F.interpolate(x, scale_factor=0.5, mode="bilinear", align_corners=False)
        z = F.interpolate(y, size=(7, 9), mode="bilinear", align_corners=True)
        return z * 2.0


def norms():
    model = nn.Sequential(nn.GroupNorm(3, 6), nn.SiLU(), nn.InstanceNorm2d(6, affine=True))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn_like(parameter))
    return model, torch.randn(2, 6, 4, 5)


def resize():
    return Upsampling(), torch.randn(2, 3, 5, 6)


MODULES = {"norms": norms, "resize": resize}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--module", required=True, choices=sorted(MODULES))
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("-o", dest="output", required=True)
    parser.add_argument("--reference", required=True)
    args = parser.parse_args()
    torch.manual_seed(0)
    model, x = MODULES[args.module]()
    model.eval()
    torch.onnx.export(model, (x,), args.output, opset_version=args.opset,
                      input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    os.makedirs(args.reference, exist_ok=True)
    np.save(os.path.join(args.reference, "x.npy"), x.numpy())
    with torch.no_grad():
        np.save(os.path.join(args.reference, "y.npy"), model(x).numpy())


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Small PyTorch modules as torch.onnx.export writes them, with a dynamic
batch; writes the model, its input "x" and PyTorch's output "y".

  norms   GroupNorm(3, 6) + SiLU + InstanceNorm2d(affine): below opset 18
          GroupNorm is Reshape to [N, G, -1], InstanceNormalization with
          unit scale and zero bias, Reshape back, Mul and Add per channel
          (a diffusion model's GroupNorm(32) + SiLU).
  resize  nn.Upsample(scale_factor=2, nearest) as diffusion decoders'
          up-blocks use it, then F.interpolate bilinear with and without
          align_corners and by scales that are no integer (1.5 nearest,
          0.75 bilinear: Resize with constant scales), around elementwise
          ops.
  conv    2-D convolutions of every form the kernel has: a 7x7 stride-2
          stem + ReLU + 3x3 stride-2 max pooling (ResNet's), 3x3 "same"
          with bias + BatchNorm (which the exporter folds) + ReLU and a
          residual sum, average pooling, a dilated conv, grouped,
          depthwise and 1x1, on an image whose width is not a multiple
          of 4.
  conv1d  Whisper's encoder front: Conv1d(k3, pad 1) + GELU, then a
          stride-2 Conv1d + GELU.
  einsum  torch.einsum as models write it: attention scores and context
          per head in [B, S, H, D] layout, an ellipsis, an outer product,
          a trace (a repeated label), a sum over an axis, three operands
          and the implicit form.

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
        # Scales that are no integer: floor(1.5 H), floor(0.75 H).
        y = F.interpolate(y, scale_factor=1.5, mode="nearest")
        y = F.interpolate(y, scale_factor=0.75, mode="bilinear", align_corners=False)
        z = F.interpolate(y, size=(7, 9), mode="bilinear", align_corners=True)
        return z * 2.0


class WindowPadding(nn.Module):
    """Swin's padding of an image to a multiple of its window, (w - H % w)
    % w at the end of each axis (zero where it divides), then the windows
    flattened; a replicate pad of the image first (of its dynamic axes when
    exported so), a replicate and a reflect pad of the static channels'
    edges too."""

    window = 4

    def forward(self, x):
        x = F.pad(x, (1, 2, 2, 1), mode="replicate")
        w = self.window
        pad_h, pad_w = (w - x.shape[2] % w) % w, (w - x.shape[3] % w) % w
        x = F.pad(x, (0, pad_w, 0, pad_h), value=0.5)
        b, c, h, wd = x.shape
        windows = x.view(b, c, h // w, w, wd // w, w).permute(0, 2, 4, 1, 3, 5)
        windows = windows.reshape(b, (h // w) * (wd // w), c * w * w)
        edges = F.pad(windows.transpose(1, 2), (0, 0), mode="constant")
        return torch.cat([F.pad(edges[:, None], (0, 0, 2, 1), mode="replicate")[:, 0],
                          F.pad(edges[:, None], (0, 0, 1, 2), mode="reflect")[:, 0]], 1)


class Convolutions(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 7, stride=2, padding=3, bias=False)
        self.same = nn.Conv2d(8, 8, 3, padding=1)
        self.norm = nn.BatchNorm2d(8)
        self.dilated = nn.Conv2d(8, 12, 3, padding=2, dilation=2)
        self.grouped = nn.Conv2d(12, 8, (3, 1), stride=(1, 2), padding=(1, 0), groups=4)
        self.depthwise = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.pointwise = nn.Conv2d(8, 16, 1)

    def forward(self, x):
        x = F.max_pool2d(torch.relu(self.stem(x)), 3, stride=2, padding=1)
        x = torch.relu(self.norm(self.same(x))) + x
        x = F.avg_pool2d(x, 2, stride=1, padding=1, count_include_pad=False)
        x = self.grouped(self.dilated(x))
        return self.pointwise(F.silu(self.depthwise(x)))


class Conv1dFront(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(6, 8, 3, padding=1)
        self.conv2 = nn.Conv1d(8, 8, 3, stride=2, padding=1)

    def forward(self, x):
        return F.gelu(self.conv2(F.gelu(self.conv1(x))))


class Einsums(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(8, 8) * 0.3)

    def forward(self, x):  # [B, 5, 8]
        q = x.view(x.size(0), 5, 2, 4)
        scores = torch.einsum("bqhd,bkhd->bhqk", q, q).softmax(-1)
        context = torch.einsum("bhqk,bkhd->bqhd", scores, q).reshape(x.shape)
        y = torch.einsum("...i,ij->...j", context, self.w)
        outer = torch.einsum("bsi,bsj->bij", y, x)
        trace = torch.einsum("bii->b", outer)
        bilinear = torch.einsum("bsi,ij,bsj->bs", x, self.w, y)
        implicit = torch.einsum("bsi,ij", x, self.w).sum(-1)  # bjs
        return torch.cat([torch.einsum("bij->bj", outer) + trace[:, None], bilinear, implicit], 1)


def conv():
    model = Convolutions()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn_like(parameter) * 0.3)
        model.norm.running_mean.copy_(torch.randn(8) * 0.1)
        model.norm.running_var.copy_(torch.rand(8) + 0.5)
    return model, torch.randn(2, 3, 37, 35)


def conv1d():
    return Conv1dFront(), torch.randn(2, 6, 30)


def norms():
    model = nn.Sequential(nn.GroupNorm(3, 6), nn.SiLU(), nn.InstanceNorm2d(6, affine=True))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn_like(parameter))
    return model, torch.randn(2, 6, 4, 5)


def resize():
    return Upsampling(), torch.randn(2, 3, 5, 6)


def pad():
    return WindowPadding(), torch.randn(2, 3, 10, 13)


def einsum():
    return Einsums(), torch.randn(2, 5, 8)


MODULES = {"conv": conv, "conv1d": conv1d, "norms": norms, "resize": resize, "pad": pad,
           "einsum": einsum}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--module", required=True, choices=sorted(MODULES))
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("-o", dest="output", required=True)
    parser.add_argument("--reference", required=True)
    parser.add_argument("--dynamic-image", action="store_true",
                        help="export the spatial axes dynamic too (height, width; frames)")
    parser.add_argument("--size", type=int, nargs="+",
                        help="the reference input's spatial size, if not the traced one")
    args = parser.parse_args()
    torch.manual_seed(0)
    model, x = MODULES[args.module]()
    model.eval()
    axes = {0: "batch"}
    if args.dynamic_image:
        axes.update({2: "frames"} if x.dim() == 3 else {2: "height", 3: "width"})
    torch.onnx.export(model, (x,), args.output, opset_version=args.opset,
                      input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": axes, "y": axes if args.module in ("conv", "conv1d") else {0: "batch"}})
    if args.size:
        x = torch.randn(*x.shape[:2], *args.size, generator=torch.Generator().manual_seed(1))
    os.makedirs(args.reference, exist_ok=True)
    np.save(os.path.join(args.reference, "x.npy"), x.numpy())
    with torch.no_grad():
        np.save(os.path.join(args.reference, "y.npy"), model(x).numpy())


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Hugging Face's image-processor steps, written out with Pillow and numpy
as transformers' ViTImageProcessor / CLIPImageProcessor take them (resize
with PIL.Image.resize, center_crop, rescale, normalize, channels first):
the reference test/images compares Tessera's preprocessing with.

usage: reference.py IMAGE CONFIG.json OUT.npy
"""
import json
import sys

import numpy as np
from PIL import Image


def resize_size(config, height, width):
    size = config.get("size", {"height": 224, "width": 224})
    if isinstance(size, int):
        return size, size
    if "shortest_edge" in size:
        # get_resize_output_image_size(default_to_square=False)
        short, long = (width, height) if width <= height else (height, width)
        new_short = size["shortest_edge"]
        new_long = int(new_short * long / short)
        return (new_long, new_short) if width <= height else (new_short, new_long)
    return size["height"], size["width"]


def center_crop(image, height, width):
    """transformers.image_transforms.center_crop on an HWC uint8 array:
    pads with zeros where the crop is larger than the image."""
    h, w = image.shape[:2]
    top, left = (h - height) // 2, (w - width) // 2
    if top >= 0 and left >= 0:
        return image[top:top + height, left:left + width]
    new_h, new_w = max(h, height), max(w, width)
    padded = np.zeros((new_h, new_w, 3), dtype=image.dtype)
    top_pad, left_pad = (new_h - h) // 2, (new_w - w) // 2
    padded[top_pad:top_pad + h, left_pad:left_pad + w] = image
    top, left = (new_h - height) // 2, (new_w - width) // 2
    return padded[top:top + height, left:left + width]


def main(path, config_path, out):
    config = json.load(open(config_path))
    image = Image.open(path).convert("RGB")
    array = np.asarray(image)
    if config.get("do_resize", True):
        height, width = resize_size(config, image.height, image.width)
        if (height, width) != (image.height, image.width):
            resized = image.resize((width, height),
                                   resample=config.get("resample", 2),
                                   reducing_gap=None)
            array = np.asarray(resized)
    if config.get("do_center_crop", False):
        crop = config.get("crop_size", {"height": 224, "width": 224})
        if isinstance(crop, int):
            crop = {"height": crop, "width": crop}
        array = center_crop(array, crop["height"], crop["width"])
    values = array
    if config.get("do_rescale", True):
        values = (values * config.get("rescale_factor", 1 / 255)).astype(np.float32)
    values = values.astype(np.float32)
    if config.get("do_normalize", True):
        mean = np.array(config.get("image_mean", [0.5] * 3), dtype=np.float32)
        std = np.array(config.get("image_std", [0.5] * 3), dtype=np.float32)
        values = (values - mean) / std
    np.save(out, values.transpose(2, 0, 1)[None].astype(np.float32))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])

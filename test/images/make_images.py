#!/usr/bin/env python3
"""The images test/images prepares: scikit-image's sample photos (Debian's
python3-skimage) as they ship (PNG, and one JPEG), others written from them
with Pillow (a JPEG of a photo, a grayscale PNG, an RGBA PNG, a 13x9 image
to upscale), and hostile files (truncated, not an image, a PNG header
declaring 100000 x 100000 pixels, empty).

usage: make_images.py OUT_DIR
"""
import os
import shutil
import struct
import sys
import zlib

from PIL import Image

DATA = "/usr/lib/python3/dist-packages/skimage/data"


def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data +
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def main(out):
    os.makedirs(out, exist_ok=True)
    for name in ("chelsea.png", "coffee.png", "astronaut.png",
                 "hubble_deep_field.jpg"):
        shutil.copy(os.path.join(DATA, name), out)
    astronaut = Image.open(os.path.join(DATA, "astronaut.png")).convert("RGB")
    astronaut.save(os.path.join(out, "astronaut-q85.jpg"), quality=85)
    astronaut.convert("L").save(os.path.join(out, "astronaut-gray.png"))
    rgba = astronaut.convert("RGBA")
    rgba.putalpha(128)
    rgba.save(os.path.join(out, "astronaut-rgba.png"))
    Image.open(os.path.join(DATA, "chelsea.png")).convert("RGB").crop(
        (200, 100, 213, 109)).save(os.path.join(out, "tiny.png"))

    hostile = os.path.join(out, "hostile")
    os.makedirs(hostile, exist_ok=True)
    chelsea = open(os.path.join(DATA, "chelsea.png"), "rb").read()
    open(os.path.join(hostile, "truncated.png"), "wb").write(chelsea[:2000])
    jpeg = open(os.path.join(out, "astronaut-q85.jpg"), "rb").read()
    open(os.path.join(hostile, "truncated.jpg"), "wb").write(jpeg[:3000])
    open(os.path.join(hostile, "text.png"), "wb").write(b"not an image\n" * 10)
    open(os.path.join(hostile, "empty.jpg"), "wb").write(b"")
    Image.new("RGB", (2, 4000000)).save(os.path.join(hostile, "elongated.png"))
    header = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    open(os.path.join(hostile, "huge.png"), "wb").write(
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) +
        png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + png_chunk(b"IEND", b""))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])

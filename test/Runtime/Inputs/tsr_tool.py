#!/usr/bin/env python3
"""Test helper: writes .npy inputs and damages .tsr files on purpose.

    tsr_tool.py npy OUT.npy DTYPE D0,D1,...   random values (float32, float16, int32, bool)
    tsr_tool.py flip IN OUT OFFSET            flips every bit of one byte
    tsr_tool.py truncate IN OUT SIZE          keeps the first SIZE bytes
    tsr_tool.py version IN OUT VERSION        sets the format version and
                                              re-signs the header checksum
"""
import struct
import sys


def fnv1a(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def write_npy(path, dtype, shape):
    descr = {"float32": "<f4", "float16": "<f2", "int32": "<i4", "bool": "|b1"}[dtype]
    size = {"float32": 4, "float16": 2, "int32": 4, "bool": 1}[dtype]
    count = 1
    for d in shape:
        count *= d
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, dims)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    if dtype == "bool":
        data = bytes(1 if (i * 7 + 1) % 5 else 0 for i in range(count))
    elif dtype == "int32":
        data = b"".join(struct.pack("<i", i % 7) for i in range(count))
    else:  # (i % 7) / 2 is exact in float16 and float32
        code = "<e" if dtype == "float16" else "<f"
        data = b"".join(struct.pack(code, (i % 7) * 0.5) for i in range(count))
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + data)


def main():
    command = sys.argv[1]
    if command == "npy":
        write_npy(sys.argv[2], sys.argv[3], [int(d) for d in sys.argv[4].split(",") if d])
        return
    data = bytearray(open(sys.argv[2], "rb").read())
    if command == "flip":
        data[int(sys.argv[4])] ^= 0xFF
    elif command == "truncate":
        data = data[:int(sys.argv[4])]
    elif command == "version":
        struct.pack_into("<I", data, 8, int(sys.argv[4]))
        struct.pack_into("<Q", data, 56, fnv1a(bytes(data[:56])))
    open(sys.argv[3], "wb").write(data)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Test helper: writes .npy inputs and damages .tsr files on purpose.

    tsr_tool.py npy OUT.npy DTYPE D0,D1,...   random values (float32, float16, int32, bool)
    tsr_tool.py flip IN OUT OFFSET            flips every bit of one byte
    tsr_tool.py truncate IN OUT SIZE          keeps the first SIZE bytes
    tsr_tool.py version IN OUT VERSION        sets the format version and
                                              re-signs the header checksum
    tsr_tool.py spirv IN OUT                  breaks the first kernel's SPIR-V
                                              and re-signs the file
    tsr_tool.py resign IN OUT                 recomputes both checksums (so
                                              that a damaged body reaches the
                                              checks behind them)
"""
import ctypes
import struct
import sys


def checksum(data):
    """The format's checksum, XXH3-64 with seed 0, from Debian's libxxhash."""
    library = ctypes.CDLL("libxxhash.so.0")
    library.XXH3_64bits.restype = ctypes.c_uint64
    library.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    return library.XXH3_64bits(bytes(data), len(data))


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
        struct.pack_into("<Q", data, 56, checksum(data[:56]))
    elif command == "spirv":
        # The first kernel's first instruction after its 5-word header
        # becomes an invalid word; the file is re-signed.
        start = data.find(struct.pack("<I", 0x07230203))
        struct.pack_into("<I", data, start + 20, 0xFFFFFFFF)
        struct.pack_into("<Q", data, 48, checksum(data[64:]))
        struct.pack_into("<Q", data, 56, checksum(data[:56]))
    elif command == "resign":
        struct.pack_into("<Q", data, 48, checksum(data[64:]))
        struct.pack_into("<Q", data, 56, checksum(data[:56]))
    open(sys.argv[3], "wb").write(data)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Holds Tessera's .npy reader to numpy's: writes well-formed and malformed
.npy files into a folder, loads each with numpy.load (allow_pickle=False)
and with `tessera-npy-check`, and checks that

- what numpy rejects, Tessera rejects;
- what numpy accepts with a dtype and order Tessera reads, Tessera accepts
  with the same shape and the same values;
- what numpy accepts with another dtype or in Fortran order, Tessera
  rejects with a message that says so.

Usage: npy_cases.py FOLDER PATH-TO-tessera-npy-check
       npy_cases.py FOLDER     (only writes the files: the npy fuzzer's seeds)
"""
import io
import os
import struct
import subprocess
import sys

import numpy as np

folder = sys.argv[1]
checker = sys.argv[2] if len(sys.argv) > 2 else None
os.makedirs(folder, exist_ok=True)


def npy(header, data=b"", version=(1, 0), magic=b"\x93NUMPY", length=None):
    """A .npy file from its parts; `header` is the dict's text."""
    text = header.encode("utf8" if version[0] == 3 else "latin1")
    size = len(text) if length is None else length
    prefix = magic + bytes(version)
    prefix += struct.pack("<H" if version[0] == 1 else "<I", size)
    return prefix + text + data


def saved(array, **kwargs):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, **kwargs)
    return buffer.getvalue()


f4 = np.arange(6, dtype="<f4").tobytes()
cases = {
    # What numpy writes.
    "f32": saved(np.arange(6, dtype=np.float32).reshape(2, 3)),
    "f16": saved(np.linspace(-1, 1, 5).astype(np.float16)),
    "i32": saved(np.array([[1, -2], [3, 4]], dtype=np.int32)),
    "i64": saved(np.array([7, -8, 2**31 - 1], dtype=np.int64)),
    "bool": saved(np.array([True, False, True])),
    "scalar": saved(np.array(3.5, dtype=np.float32)),
    "empty": saved(np.zeros((0, 4), dtype=np.float32)),
    "version2": saved(np.ones(3, dtype=np.float32), version=(2, 0)),
    "version3": saved(np.ones(3, dtype=np.float32), version=(3, 0)),
    "trailing-bytes": saved(np.ones(2, dtype=np.float32)) + b"tail",
    # Headers written by hand: what Python's literal syntax allows.
    "double-quotes": npy('{"descr": "<f4", "fortran_order": False, "shape": (2, 3)}\n', f4),
    "spaces-newlines": npy("{ 'shape' : ( 2 ,3 , ) ,\n 'descr':'<f4','fortran_order' :False }", f4),
    "python2-long": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }", f4),
    "hex-dim": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0x2, 3), }", f4),
    "underscore-dim": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1_0,), }",
                          np.zeros(10, "<f4").tobytes()),
    "plus-dim": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (+2, 3), }", f4),
    "repeated-key": npy("{'descr': '<i4', 'descr': '<f4', 'fortran_order': False, 'shape': (6,)}", f4),
    # Malformed: numpy rejects every one.
    "negative-shape": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, -11), }", f4),
    "negative-one": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", f4),
    "unterminated": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3", f4),
    "version9": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", f4, version=(9, 0)),
    "version1.1": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", f4, version=(1, 1)),
    "bad-magic": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", f4, magic=b"\x93NUMPZ"),
    "header-past-end": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", b"", length=4000),
    "header-too-large": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }" + " " * 10050 + "\n", f4),
    "missing-key": npy("{'descr': '<f4', 'shape': (6,), }", f4),
    "extra-key": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1}", f4),
    "not-a-dict": npy("['<f4', False, (6,)]", f4),
    "shape-list": npy("{'descr': '<f4', 'fortran_order': False, 'shape': [6], }", f4),
    "shape-float": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6.0,), }", f4),
    "shape-string": npy("{'descr': '<f4', 'fortran_order': False, 'shape': ('6',), }", f4),
    "shape-int": npy("{'descr': '<f4', 'fortran_order': False, 'shape': 6, }", f4),
    "fortran-string": npy("{'descr': '<f4', 'fortran_order': 'no', 'shape': (6,), }", f4),
    "fortran-int": npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (6,), }", f4),
    "descr-bogus": npy("{'descr': '<q9', 'fortran_order': False, 'shape': (6,), }", f4),
    "truncated-data": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }", f4),
    "huge-shape": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2**40,), }", f4),
    "huge-dims": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }", f4),
    "expression": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2*3,), }", f4),
    "call": npy("{'descr': '<f4', 'fortran_order': False, 'shape': tuple([6]), }", f4),
    "double-sign": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (--6,), }", f4),
    "leading-zero": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (06,), }", f4),
    "empty-file": b"",
    "magic-only": b"\x93NUMPY\x01\x00",
    # Read by numpy, not by Tessera.
    "float64": saved(np.ones(3)),
    "big-endian": saved(np.ones(3, dtype=">f4")),
    "uint8": saved(np.ones(3, dtype=np.uint8)),
    "fortran": saved(np.asfortranarray(np.ones((2, 3), dtype=np.float32))),
    "int64-wide": saved(np.array([2**40], dtype=np.int64)),
}

if checker is None:
    for name, data in cases.items():
        with open(os.path.join(folder, name + ".npy"), "wb") as f:
            f.write(data)
    sys.exit(0)

tessera_reads = {"float32", "float16", "int32", "int64", "bool"}
# numpy.load takes a shape of (-1,) by computing the element count as -1,
# reading the whole file and reshaping with -1 inferred. No writer puts a
# negative dim in a header; Tessera refuses it.
numpy_quirks = {"negative-one"}
failures, both_read, numpy_rejects, tessera_only_rejects = [], 0, 0, 0
for name, data in sorted(cases.items()):
    path = os.path.join(folder, name + ".npy")
    with open(path, "wb") as f:
        f.write(data)
    try:
        expected = np.load(path, allow_pickle=False)
    except Exception as error:  # numpy's reasons: ValueError, EOFError, ...
        expected = error
    run = subprocess.run([checker, path], capture_output=True, text=True)
    got = run.stdout.strip()
    if name in numpy_quirks:
        # numpy reads it by accident of its implementation; Tessera may not.
        if run.returncode == 0:
            failures.append(f"{name}: Tessera reads it: {got}")
        tessera_only_rejects += 1
        continue
    if isinstance(expected, Exception):
        numpy_rejects += 1
        if run.returncode == 0:
            failures.append(f"{name}: numpy rejects it ({expected}) but Tessera reads {got}")
        continue
    readable = (expected.dtype.name in tessera_reads
                and expected.dtype.byteorder in "=<|"
                and (expected.flags.c_contiguous or expected.ndim < 2)
                and not (expected.dtype == np.int64 and expected.size
                         and (np.abs(expected) > 2**31 - 1).any()))
    if not readable:
        tessera_only_rejects += 1
        if run.returncode == 0:
            failures.append(f"{name}: Tessera reads {expected.dtype} data it does not support: {got}")
        continue
    values = expected.astype(np.int32) if expected.dtype == np.int64 else expected
    want = "ok {} {} {}".format(values.dtype.str, list(values.shape),
                                values.tobytes().hex()).strip()
    if run.returncode != 0 or got != want:
        failures.append(f"{name}: numpy reads {want}, Tessera: {got or run.stderr.strip()}")
    both_read += 1

for failure in failures:
    print("MISMATCH", failure)
print(f"{len(cases)} files: {both_read} read alike, {numpy_rejects} rejected by "
      f"both, {tessera_only_rejects} read by numpy only (dtype, order, -1 dim); "
      f"{len(failures)} mismatches")
sys.exit(1 if failures else 0)

#!/usr/bin/env python3
"""Writes hostile ONNX models into a folder (argv[1]) for
test/Frontend/onnx/hostile-models.test. Each is y = x @ w with a 4x4 weight
w, made wrong in one way:

  FOLDER/secret.bin               a file outside the model's folder
  FOLDER/model/w.bin              the weight's 64 bytes (0, 1, ..., 15)
  FOLDER/model/<case>.onnx        external data made wrong: offsets and
                                  lengths that are negative, text, or wrap;
                                  locations that leave the folder (.., an
                                  absolute path, a link out), name a
                                  device, a folder or a FIFO
  FOLDER/<case>.onnx              dims that overflow, data that is short,
                                  graph inputs with negative dims
  FOLDER/hub/...                  the Hugging Face hub's cache: model.onnx and
                                  w.bin in snapshots/v1 are links into blobs/
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

out = sys.argv[1]
model_dir = os.path.join(out, "model")
os.makedirs(model_dir, exist_ok=True)


def matmul_model(w, x_dims=(2, 4)):
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="project")],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_dims))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])], [w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def bare_weight(dims):
    """w with these dims and no data (helper.make_tensor would check it)."""
    w = TensorProto()
    w.name, w.data_type = "w", TensorProto.FLOAT
    w.dims.extend(dims)
    return w


def external_weight(**entries):
    w = bare_weight([4, 4])
    w.data_location = TensorProto.EXTERNAL
    for key, value in entries.items():
        entry = w.external_data.add()
        entry.key, entry.value = key, value
    return w


def save_external(folder, name, **entries):
    onnx.save(matmul_model(external_weight(**entries)), os.path.join(folder, name + ".onnx"))


def symlink(target, path):
    if not os.path.lexists(path):
        os.symlink(target, path)


with open(os.path.join(model_dir, "w.bin"), "wb") as f:
    f.write(np.arange(16, dtype=np.float32).tobytes())
with open(os.path.join(out, "secret.bin"), "wb") as f:
    f.write(np.full(16, 42, dtype=np.float32).tobytes())
os.makedirs(os.path.join(model_dir, "folder"), exist_ok=True)
if not os.path.exists(os.path.join(model_dir, "fifo")):
    os.mkfifo(os.path.join(model_dir, "fifo"))
symlink("../secret.bin", os.path.join(model_dir, "link-out.bin"))
symlink("w.bin", os.path.join(model_dir, "link-in.bin"))
symlink("/dev/zero", os.path.join(model_dir, "zero"))

for name, entries in {
        "offset-negative": dict(location="w.bin", offset="-8", length="64"),
        "offset-wraps": dict(location="w.bin", offset="-16777216", length="16777216"),
        "offset-text": dict(location="w.bin", offset="abc", length="64"),
        "offset-plus": dict(location="w.bin", offset="+0", length="64"),
        "length-huge": dict(location="w.bin", offset="0", length=str(2**64 - 8)),
        "length-beyond-2^64": dict(location="w.bin", offset="0", length=str(2**64)),
        "range-past-end": dict(location="w.bin", offset="8", length="64"),
        "length-mismatch": dict(location="w.bin", offset="0", length="32"),
        "parent": dict(location="../secret.bin"),
        "parent-inside": dict(location="folder/../../secret.bin"),
        "absolute": dict(location=os.path.join(os.path.abspath(out), "secret.bin")),
        "dev-zero": dict(location="/dev/zero"),
        "link-to-device": dict(location="zero"),
        "folder": dict(location="folder"),
        "fifo": dict(location="fifo"),
        "link-out": dict(location="link-out.bin"),
        "link-in": dict(location="link-in.bin", offset="0", length="64"),
        "dotted-inside": dict(location="./folder/../w.bin"),
        "no-location": dict(offset="0"),
}.items():
    save_external(model_dir, name, **entries)

onnx.save(matmul_model(bare_weight([4, 2**62])), os.path.join(out, "dims-overflow.onnx"))
onnx.save(matmul_model(bare_weight([2**31, 2**31])), os.path.join(out, "dims-huge.onnx"))
onnx.save(matmul_model(bare_weight([4, -4])), os.path.join(out, "dims-negative.onnx"))
onnx.save(matmul_model(bare_weight([0, 2**40, 2**40])), os.path.join(out, "dims-empty-huge.onnx"))
short = bare_weight([4, 4])
short.float_data.extend([1.0] * 12)
onnx.save(matmul_model(short), os.path.join(out, "data-short.onnx"))
full = bare_weight([4, 4])
full.float_data.extend([1.0] * 16)
onnx.save(matmul_model(full, x_dims=(-2, 4)), os.path.join(out, "input-negative.onnx"))

# The Hugging Face hub's cache: the snapshot holds links into blobs/, so the
# data lies outside the snapshot folder but beside the model file's target.
hub = os.path.join(out, "hub")
os.makedirs(os.path.join(hub, "blobs"), exist_ok=True)
os.makedirs(os.path.join(hub, "snapshots", "v1"), exist_ok=True)
with open(os.path.join(hub, "blobs", "data-blob"), "wb") as f:
    f.write(np.arange(16, dtype=np.float32).tobytes())
onnx.save(matmul_model(external_weight(location="w.bin")),
          os.path.join(hub, "blobs", "model-blob"))
symlink("../../blobs/model-blob", os.path.join(hub, "snapshots", "v1", "model.onnx"))
symlink("../../blobs/data-blob", os.path.join(hub, "snapshots", "v1", "w.bin"))

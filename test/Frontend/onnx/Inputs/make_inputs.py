#!/usr/bin/env python3
"""Writes the binary ONNX inputs of the frontend's lit tests (committed;
re-run with Debian's python3-onnx after changing them):

    external.onnx + external.bin   y = x @ w, w (4x4) in an external data file
    missing-external.onnx          the same, pointing at a file that is absent
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

here = os.path.dirname(os.path.abspath(__file__))


def model(location):
    w = numpy_helper.from_array(np.arange(16, dtype=np.float32).reshape(4, 4) / 8, "w")
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", "64")):
        entry = w.external_data.add()
        entry.key, entry.value = key, value
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="project")],
        "external",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["rows", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["rows", 4])],
        [w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


with open(os.path.join(here, "external.bin"), "wb") as f:
    f.write((np.arange(16, dtype=np.float32) / 8).tobytes())
onnx.save(model("external.bin"), os.path.join(here, "external.onnx"))
onnx.save(model("nowhere.bin"), os.path.join(here, "missing-external.onnx"))

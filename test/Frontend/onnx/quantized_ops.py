#!/usr/bin/env python3
"""Pre-quantized weights as exporters and quantizers write them: ONNX's
DequantizeLinear feeding MatMul or Gemm (int8, uint8 with zero points, int4
and uint4 in blocks at opset 21, per tensor and per axis) and ONNX Runtime's
com.microsoft.MatMulNBits (4 and 8 bits, with and without zero points and
bias). Each model is run on the default device and compared with numpy
written from ONNX's operator specification and ONNX Runtime's
ContribOperators.md (1e-4 relative); the raised IR says whether the weight
stayed integers (a tessera.dequantize read by a linear) or was evaluated
at import.

    quantized_ops.py WORK_DIR [--ort]  (tessera-compile, tessera-run on PATH)

With --ort, each model also runs in ONNX Runtime (onnxruntime-node through
NODE_PATH, graph optimizations at `basic`: at `all` ONNX Runtime swaps in
its own lower-precision kernels for DequantizeLinear + MatMul) and the
largest difference against Tessera's output is printed.
"""
import os
import re
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

from ort_runner import ort_outputs

TOLERANCE = 1e-4
rng = np.random.default_rng(0)
INT4, UINT4 = 22, 21  # ONNX's 4-bit types, newer than this onnx module


def packed_tensor(name, values, data_type):
    """An initializer of 8- or 4-bit integers (4-bit: two per byte, the
    first element in the low bits), written as raw_data."""
    flat = values.reshape(-1).astype(np.int64)
    if data_type in (INT4, UINT4):
        nibbles = (flat & 0xF).astype(np.uint8)
        if len(nibbles) % 2:
            nibbles = np.append(nibbles, 0)
        raw = (nibbles[0::2] | (nibbles[1::2] << 4)).astype(np.uint8).tobytes()
    else:
        raw = (flat & 0xFF).astype(np.uint8).tobytes()
    tensor = onnx.TensorProto()
    tensor.name = name
    tensor.data_type = data_type
    tensor.dims.extend(values.shape)
    tensor.raw_data = raw
    return tensor


def floats(name, values):
    return helper.make_tensor(name, TensorProto.FLOAT, values.shape,
                              values.reshape(-1).tolist())


def dequantize(q, scale, zero, axis, block):
    """DequantizeLinear as ONNX specifies it: (q - zero) * scale, the
    parameters per tensor, per index along `axis`, or per block of `block`
    indices along it."""
    q = q.astype(np.float64)
    if scale.size == 1:
        return (q - zero.reshape(()) ) * scale.reshape(())
    def spread(p):
        if block:
            p = np.repeat(p, block, axis=axis)
        else:
            shape = [1] * q.ndim
            shape[axis] = -1
            p = p.reshape(shape)
        return p
    return (q - spread(zero)) * spread(scale)


def dequantize_linear_case(name, k, n, data_type, axis, block=0, zero=False,
                           consumer="MatMul", bias=False, expect="dequantize"):
    """DequantizeLinear of a weight feeding MatMul (W [K, N]) or Gemm with
    transB (W [N, K])."""
    bits = 4 if data_type in (INT4, UINT4) else 8
    signed = data_type in (INT4, TensorProto.INT8)
    low, high = (-(1 << (bits - 1)), 1 << (bits - 1)) if signed else (0, 1 << bits)
    shape = (k, n) if consumer == "MatMul" else (n, k)
    q = rng.integers(low, high, size=shape)
    if axis is None:
        scale = np.array(0.02, np.float32)
    elif block:
        scale_shape = list(shape)
        scale_shape[axis] //= block
        scale = (rng.random(scale_shape) * 0.05 + 0.01).astype(np.float32)
    else:
        scale = (rng.random(shape[axis]) * 0.05 + 0.01).astype(np.float32)
    zero_point = rng.integers(low, high, size=scale.shape) if zero else np.zeros(scale.shape, np.int64)
    x = rng.standard_normal((2, 5, k)).astype(np.float32)
    w = dequantize(q, scale, zero_point, axis if axis is not None else 0, block)
    b = rng.standard_normal(n).astype(np.float32)
    inits = [packed_tensor("w_q", q, data_type), floats("w_scale", scale)]
    dq_inputs = ["w_q", "w_scale"]
    if zero:
        inits.append(packed_tensor("w_zero", zero_point, data_type))
        dq_inputs.append("w_zero")
    attrs = {}
    if axis is not None:
        attrs["axis"] = axis
    if block:
        attrs["block_size"] = block
    nodes = [helper.make_node("DequantizeLinear", dq_inputs, ["w"], **attrs)]
    if consumer == "MatMul":
        nodes.append(helper.make_node("MatMul", ["x", "w"], ["y0"] if bias else ["out0"]))
        want = x.astype(np.float64) @ w
        if bias:
            inits.append(floats("b", b))
            nodes.append(helper.make_node("Add", ["y0", "b"], ["out0"]))
            want = want + b
    else:
        x = x.reshape(10, k)
        inits.append(floats("b", b))
        nodes.append(helper.make_node("Gemm", ["x", "w", "b"], ["out0"], transB=1))
        want = x.astype(np.float64) @ w.T + b
    return name, nodes, inits, x, want, 21 if block or bits == 4 else 17, expect


def matmul_nbits_case(name, k, n, bits, block, zero=False, bias=False):
    """com.microsoft.MatMulNBits: B [N, K / block, block * bits / 8] of
    unsigned values, low bits first; scales [N * blocks]; zero points packed
    the same way per row (default 2^(bits - 1))."""
    blocks = k // block
    q = rng.integers(0, 1 << bits, size=(n, k))
    if bits == 4:
        packed = (q[:, 0::2] | (q[:, 1::2] << 4)).astype(np.uint8)
    else:
        packed = q.astype(np.uint8)
    packed = packed.reshape(n, blocks, block * bits // 8)
    scale = (rng.random((n, blocks)) * 0.05 + 0.01).astype(np.float32)
    zero_point = rng.integers(0, 1 << bits, size=(n, blocks)) if zero else \
        np.full((n, blocks), 1 << (bits - 1))
    w = (q - np.repeat(zero_point, block, axis=1)) * np.repeat(scale, block, axis=1)
    x = rng.standard_normal((2, 5, k)).astype(np.float32)
    want = x.astype(np.float64) @ w.T
    b_tensor = onnx.TensorProto()
    b_tensor.name, b_tensor.data_type = "w_q", TensorProto.UINT8
    b_tensor.dims.extend(packed.shape)
    b_tensor.raw_data = packed.tobytes()
    inits = [b_tensor, floats("w_scale", scale.reshape(-1))]
    inputs = ["x", "w_q", "w_scale", "", "", ""]
    if zero:
        if bits == 4:
            per_row = (blocks + 1) // 2
            zp = np.zeros((n, per_row * 2), np.uint8)
            zp[:, :blocks] = zero_point
            zp_bytes = (zp[:, 0::2] | (zp[:, 1::2] << 4)).astype(np.uint8)
        else:
            zp_bytes = zero_point.astype(np.uint8)
        z = onnx.TensorProto()
        z.name, z.data_type = "w_zero", TensorProto.UINT8
        z.dims.extend([zp_bytes.size])
        z.raw_data = zp_bytes.tobytes()
        inits.append(z)
        inputs[3] = "w_zero"
    if bias:
        b = rng.standard_normal(n).astype(np.float32)
        inits.append(floats("b", b))
        inputs[5] = "b"
        want = want + b
    while inputs[-1] == "":
        inputs.pop()
    node = helper.make_node("MatMulNBits", inputs, ["out0"], domain="com.microsoft",
                            K=k, N=n, bits=bits, block_size=block)
    return name, [node], inits, x, want, 17, "dequantize"


def hostile_cases():
    """Quantized weights whose bytes or parameters do not add up."""
    def nbits(b_bytes, scales=48, k=64, n=24):
        b = onnx.TensorProto()
        b.name, b.data_type = "w_q", TensorProto.UINT8
        b.dims.extend([len(b_bytes)])
        b.raw_data = bytes(b_bytes)
        node = helper.make_node("MatMulNBits", ["x", "w_q", "w_scale"], ["out0"],
                                domain="com.microsoft", K=k, N=n, bits=4, block_size=32)
        return [node], [b, floats("w_scale", np.ones(scales, np.float32))]
    short = packed_tensor("w_q", np.zeros((64, 24), np.int64), INT4)
    short.raw_data = short.raw_data[:100]
    dq = helper.make_node("DequantizeLinear", ["w_q", "w_scale"], ["w"], axis=1)
    mm = helper.make_node("MatMul", ["x", "w"], ["out0"])
    three = packed_tensor("w_q", np.zeros((64, 24), np.int64), TensorProto.INT8)
    return {
        "nbits_short_b": nbits([0] * 100),
        "nbits_few_scales": nbits([0] * (24 * 32), scales=5),
        "nbits_k_not_blocks": nbits([0] * (24 * 32), k=60),
        # N * K / 2 bytes wraps to 768 in 64 bits: the dims are refused before
        # any count is formed from them.
        "nbits_huge_dims": nbits([0] * (24 * 32), k=32, n=2 ** 60 + 48),
        "dequantize_scalar_scales": ([helper.make_node("DequantizeLinear", ["w_q", "w_scale"], ["w"]),
                                      helper.make_node("Mul", ["x", "w"], ["out0"])],
                                     [packed_tensor("w_q", np.array(3), TensorProto.INT8),
                                      floats("w_scale", np.ones(4, np.float32))]),
        "int4_short_raw_data": ([dq, mm], [short, floats("w_scale", np.ones(24, np.float32))]),
        "dequantize_three_scales": ([dq, mm], [three, floats("w_scale", np.ones(3, np.float32))]),
    }


def cases():
    yield dequantize_linear_case("int8_per_axis", 64, 24, TensorProto.INT8, axis=1)
    yield dequantize_linear_case("uint8_per_axis_zero_bias", 64, 24, TensorProto.UINT8,
                                 axis=1, zero=True, bias=True)
    yield dequantize_linear_case("int8_per_tensor", 32, 16, TensorProto.INT8, axis=None)
    yield dequantize_linear_case("int4_blocked", 96, 24, INT4, axis=0, block=32)
    yield dequantize_linear_case("uint4_blocked_zero_gemm", 64, 20, UINT4, axis=1, block=32,
                                 zero=True, consumer="Gemm")
    yield dequantize_linear_case("int8_gemm_per_axis", 48, 20, TensorProto.INT8, axis=0,
                                 consumer="Gemm")
    # Scales along K per element: no weight layout; evaluated at import.
    yield dequantize_linear_case("int8_scales_along_k", 32, 16, TensorProto.INT8, axis=0,
                                 expect="constant")
    yield matmul_nbits_case("nbits4", 64, 24, 4, 32)
    yield matmul_nbits_case("nbits4_zero_odd_blocks", 48, 20, 4, 16, zero=True)
    yield matmul_nbits_case("nbits8_zero_bias", 64, 16, 8, 32, zero=True, bias=True)


def ort_output(work, name, model, x, shape):
    """The model's output in ONNX Runtime (at `basic`), or the error it gave."""
    got = ort_outputs(work, name, model, {"x": x.astype(np.float32)}, {"out0": np.float32},
                      level="basic")
    return got if isinstance(got, str) else got[0].reshape(shape)


def main():
    work = sys.argv[1]
    os.makedirs(work, exist_ok=True)
    failures = 0
    for name, nodes, inits, x, want, opset, expect in cases():
        graph = helper.make_graph(
            nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
            [helper.make_tensor_value_info("out0", TensorProto.FLOAT, want.shape)], inits)
        model = helper.make_model(graph, opset_imports=[
            helper.make_opsetid("", opset), helper.make_opsetid("com.microsoft", 1)])
        path = os.path.join(work, name + ".onnx")
        onnx.save(model, path)
        binary = os.path.join(work, name + ".tsr")
        np.save(os.path.join(work, name + "_x.npy"), x)
        raised = subprocess.run(["tessera-compile", path, "--compile-to=raise"],
                                capture_output=True, text=True)
        if raised.returncode:
            sys.exit("%s: tessera-compile failed:\n%s" % (name, raised.stderr))
        linear = re.search(r"(%\S+) = tessera\.dequantize.*\n(.*\n)*.*tessera\.linear %\S+, \1\b",
                           raised.stdout)
        form = "dequantize" if linear else "constant"
        for step in (["tessera-compile", path, "-o", binary],
                     ["tessera-run", binary, "--input", "x=" + os.path.join(work, name + "_x.npy"),
                      "--output-dir", os.path.join(work, name)]):
            result = subprocess.run(step, capture_output=True, text=True)
            if result.returncode:
                sys.exit("%s: %s failed:\n%s" % (name, step[0], result.stderr))
        got = np.load(os.path.join(work, name, "out0.npy"))
        error = float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1)))
        ok = error <= TOLERANCE and form == expect
        failures += not ok
        print("%s %s: weight as %s, max relative error %.3g"
              % ("ok" if ok else "FAIL", name, form, error))
        if "--ort" in sys.argv:
            theirs = ort_output(work, name, path, x, got.shape)
            if isinstance(theirs, str):
                print("  ONNX Runtime failed: " + theirs)
            else:
                print("  against ONNX Runtime: %.3g" % float(
                    np.max(np.abs(got - theirs) / np.maximum(np.abs(theirs), 1))))
    # Hostile files: each one error, exit 1.
    for bad, (nodes, inits) in hostile_cases().items():
        graph = helper.make_graph(nodes, bad, [helper.make_tensor_value_info(
            "x", TensorProto.FLOAT, [2, 64])], [helper.make_tensor_value_info(
                "out0", TensorProto.FLOAT, [2, 24])], inits)
        path = os.path.join(work, bad + ".onnx")
        onnx.save(helper.make_model(graph, opset_imports=[
            helper.make_opsetid("", 21), helper.make_opsetid("com.microsoft", 1)]), path)
        result = subprocess.run(["tessera-compile", path, "-o", path + ".tsr"],
                                capture_output=True, text=True)
        errors = [line for line in result.stderr.splitlines() if "error:" in line]
        print("refused %s: exit %d: %s" % (bad, result.returncode, " | ".join(errors)))
    # Quantized activations (QDQ around computed tensors) are refused by name.
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8])
    nodes = [helper.make_node("QuantizeLinear", ["x", "s"], ["xq"]),
             helper.make_node("DequantizeLinear", ["xq", "s"], ["out0"])]
    graph = helper.make_graph(nodes, "qdq", [x], [helper.make_tensor_value_info(
        "out0", TensorProto.FLOAT, [2, 8])], [floats("s", np.array(0.1, np.float32))])
    path = os.path.join(work, "qdq.onnx")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    result = subprocess.run(["tessera-compile", path, "-o", path + ".tsr"],
                            capture_output=True, text=True)
    print("qdq activations: exit %d: %s" % (result.returncode, result.stderr.strip()))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

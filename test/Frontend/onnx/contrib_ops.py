#!/usr/bin/env python3
"""Each ONNX Runtime contrib op Tessera imports, in one-node models, run on
the default device and compared with numpy written from ONNX Runtime's
ContribOperators.md (not from Tessera's decomposition).

    contrib_ops.py WORK_DIR      (tessera-compile, tessera-run on PATH)
"""
import math
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

TOLERANCE = 1e-5
rng = np.random.default_rng(0)
erf = np.vectorize(math.erf)


def gelu(x):
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def layer_norm(x, gamma, beta, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + (0 if beta is None else beta)


def rms_norm(x, gamma, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * gamma


def a(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def batch_transposed(x, trans):
    """FusedMatMul's transBatch: dim 0 behind the other batch dims."""
    r = x.ndim
    perm = list(range(1, r - 1)) + ([r - 1, 0] if trans else [0, r - 1])
    return x.transpose(perm)


def matmul_operand(x, trans_batch, trans):
    if trans_batch:
        return batch_transposed(x, trans)
    return np.swapaxes(x, -1, -2) if trans else x


def stored_shape(oriented, trans_batch, trans):
    """The shape an operand is stored in so that it is `oriented` (batch
    dims, rows, columns) after matmul_operand."""
    *batch, rows, cols = oriented
    if trans_batch:
        return (cols, *batch, rows) if trans else (rows, *batch, cols)
    return (*batch, cols, rows) if trans else oriented


def case_fused_matmul(ta, tb, tba, tbb, alpha):
    A = a(*stored_shape((2, 3, 4, 5), tba, ta))
    B = a(*stored_shape((2, 3, 5, 6), tbb, tb))
    want = alpha * (matmul_operand(A, tba, ta) @ matmul_operand(B, tbb, tb))
    attrs = dict(alpha=alpha, transA=ta, transB=tb, transBatchA=tba, transBatchB=tbb)
    name = "fused_matmul_a%d_b%d_ba%d_bb%d" % (ta, tb, tba, tbb)
    return name, "FusedMatMul", [A, B], attrs, [want]


def cases():
    for ta, tb, tba, tbb, alpha in [(0, 0, 0, 0, 1.0), (0, 1, 0, 0, 0.25), (1, 0, 0, 0, 2.0),
                                    (0, 0, 1, 0, 1.0), (1, 0, 1, 0, 1.0), (0, 1, 0, 1, 0.5),
                                    (0, 0, 0, 1, 1.0)]:
        yield case_fused_matmul(ta, tb, tba, tbb, alpha)
    x, bias = a(2, 5, 8), a(8)
    yield "bias_gelu", "BiasGelu", [x, bias], {}, [gelu(x + bias)]
    yield "gelu", "Gelu", [x], {}, [gelu(x)]
    yield "fast_gelu", "FastGelu", [x], {}, [gelu_tanh(x)]
    yield "fast_gelu_bias", "FastGelu", [x, bias], {}, [gelu_tanh(x + bias)]
    yield "quick_gelu", "QuickGelu", [x], {}, [x / (1 + np.exp(-1.702 * x))]
    yield "quick_gelu_alpha", "QuickGelu", [x], {"alpha": 1.0}, [x / (1 + np.exp(-x))]
    skip, gamma, beta = a(2, 5, 8), a(8), a(8)
    total = x + skip + bias
    yield ("skip_layer_norm", "SkipLayerNormalization", [x, skip, gamma, beta, bias],
           {"epsilon": 1e-5}, [layer_norm(total, gamma, beta, 1e-5), None, None, total])
    yield ("skip_layer_norm_no_beta", "SkipLayerNormalization", [x, skip, gamma],
           {"epsilon": 1e-12}, [layer_norm(x + skip, gamma, None, 1e-12)])
    yield ("skip_rms_norm", "SkipSimplifiedLayerNormalization", [x, skip, gamma, bias],
           {"epsilon": 1e-6}, [rms_norm(total, gamma, 1e-6), None, None, total])
    yield ("rms_norm", "SimplifiedLayerNormalization", [x, gamma], {"epsilon": 1e-6},
           [rms_norm(x, gamma, 1e-6)])


def model(op, inputs, attrs, outputs):
    names = ["in%d" % i for i in range(len(inputs))]
    out_names = ["out%d" % i if o is not None else "" for i, o in enumerate(outputs)]
    domain = "" if op == "SimplifiedLayerNormalization" else "com.microsoft"
    node = helper.make_node(op, names, out_names, domain=domain, **attrs)
    graph = helper.make_graph(
        [node], op,
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, x.shape) for n, x in zip(names, inputs)],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, o.shape)
         for n, o in zip(out_names, outputs) if o is not None])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                   helper.make_opsetid("com.microsoft", 1)])


def main():
    work = sys.argv[1]
    os.makedirs(work, exist_ok=True)
    failures = 0
    for name, op, inputs, attrs, outputs in cases():
        path = os.path.join(work, name + ".onnx")
        onnx.save(model(op, inputs, attrs, outputs), path)
        binary = os.path.join(work, name + ".tsr")
        command = ["tessera-run", binary, "--output-dir", os.path.join(work, name)]
        for i, x in enumerate(inputs):
            np.save(os.path.join(work, "%s_in%d.npy" % (name, i)), x)
            command += ["--input", "in%d=%s" % (i, os.path.join(work, "%s_in%d.npy" % (name, i)))]
        for step in (["tessera-compile", path, "-o", binary], command):
            result = subprocess.run(step, capture_output=True, text=True)
            if result.returncode:
                sys.exit("%s: %s failed:\n%s" % (name, step[0], result.stderr))
        errors = []
        for i, want in enumerate(outputs):
            if want is None:
                continue
            got = np.load(os.path.join(work, name, "out%d.npy" % i))
            errors.append(float(np.abs(got - want).max()))
        ok = max(errors) <= TOLERANCE
        failures += not ok
        print("%s %s (%s): max abs error %.3g" % ("ok" if ok else "FAIL", name, op, max(errors)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The BERT family as ONNX Runtime's offline transformer optimizer
(onnxruntime.transformers.optimizer, model_type "bert") rewrites it, built
from the same PyTorch weights: EmbedLayerNormalization (the embeddings,
their norm and the mask's row counts), per layer com.microsoft.Attention
with the merged Q/K/V weight and the mask_index, the output projection's
MatMul into SkipLayerNormalization (bias and residual), MatMul + BiasGelu
+ MatMul + SkipLayerNormalization; int32 ids and mask, as the optimizer
makes them. The optimizer is a Python package, which PyPI would give and
this machine cannot reach; the graph follows its fusions' documented
outputs (ContribOperators.md).

    ort_fused_bert.py -o model.onnx --reference DIR

DIR receives the inputs (input_NAME.npy) and PyTorch's output of the
families.py model (output_output.npy). Every sequence sees a key (the
optimizer's 1-D mask_index holds lengths; a row hiding every key is where
-10000 and finfo.min differ).
"""
import argparse
import importlib.util
import os

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("families", os.path.join(HERE, "families.py"))
families = importlib.util.module_from_spec(spec)
spec.loader.exec_module(families)


def fused_graph(model):
    weights = []

    def weight(name, tensor):
        weights.append(numpy_helper.from_array(tensor.detach().numpy().astype(np.float32), name))
        return name

    def transposed(name, linear):  # MatMul's [in, out]
        return weight(name, linear.weight.t())

    nodes = [helper.make_node(
        "EmbedLayerNormalization",
        ["input_ids", "", weight("words", model.words.weight),
         weight("positions", model.positions.weight), "", weight("ln.weight", model.ln.weight),
         weight("ln.bias", model.ln.bias), "attention_mask"],
        ["x0", "mask_index"], domain="com.microsoft", epsilon=1e-12)]
    x = "x0"
    for i, layer in enumerate(model.layers):
        p = "layer%d." % i
        qkv = torch.cat([layer.query.weight, layer.key.weight, layer.value.weight]).t()
        qkv_bias = torch.cat([layer.query.bias, layer.key.bias, layer.value.bias])
        nodes += [
            helper.make_node("Attention", [x, weight(p + "qkv", qkv), weight(p + "qkv.bias", qkv_bias),
                                           "mask_index"], [p + "context"], domain="com.microsoft",
                             num_heads=families.HEADS),
            helper.make_node("MatMul", [p + "context", transposed(p + "dense", layer.dense)],
                             [p + "dense_out"]),
            helper.make_node("SkipLayerNormalization",
                             [p + "dense_out", x, weight(p + "ln1.weight", layer.ln1.weight),
                              weight(p + "ln1.bias", layer.ln1.bias),
                              weight(p + "dense.bias", layer.dense.bias)],
                             [p + "x1"], domain="com.microsoft", epsilon=1e-12),
            helper.make_node("MatMul", [p + "x1", transposed(p + "intermediate", layer.intermediate)],
                             [p + "h"]),
            helper.make_node("BiasGelu", [p + "h", weight(p + "intermediate.bias",
                                                          layer.intermediate.bias)],
                             [p + "g"], domain="com.microsoft"),
            helper.make_node("MatMul", [p + "g", transposed(p + "output", layer.output)],
                             [p + "o"]),
            helper.make_node("SkipLayerNormalization",
                             [p + "o", p + "x1", weight(p + "ln2.weight", layer.ln2.weight),
                              weight(p + "ln2.bias", layer.ln2.bias),
                              weight(p + "output.bias", layer.output.bias)],
                             ["output" if i == len(model.layers) - 1 else p + "x2"],
                             domain="com.microsoft", epsilon=1e-12),
        ]
        x = p + "x2"
    axes = ["batch", "seq"]
    graph = helper.make_graph(
        nodes, "bert_ort_fused",
        [helper.make_tensor_value_info(n, TensorProto.INT32, axes)
         for n in ("input_ids", "attention_mask")],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, axes + [families.HIDDEN])],
        weights)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14),
                                                   helper.make_opsetid("com.microsoft", 1)])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--reference", required=True)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = families.Bert().eval()
    onnx.save(fused_graph(model), args.output)
    inputs = families.example_inputs(model, fully_padded=False)
    os.makedirs(args.reference, exist_ok=True)
    for name, tensor in zip(model.inputs, inputs):
        np.save(os.path.join(args.reference, "input_%s.npy" % name),
                tensor.numpy().astype(np.int32))
    with torch.no_grad():
        np.save(os.path.join(args.reference, "output_output.npy"), model(*inputs).numpy())


if __name__ == "__main__":
    main()

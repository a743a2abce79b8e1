#!/usr/bin/env python3
"""The ops that fuse what exporters used to decompose: ONNX Runtime's
contrib ops (its optimizer writes them) and ONNX's newest (opset 20's Gelu,
opset 23's RMSNormalization and Attention). Each in a one-node model, run on
the default device and compared with numpy written from ONNX Runtime's
ContribOperators.md and ONNX's operator specification (not from Tessera's
decomposition).

    fused_ops.py WORK_DIR [--ort]   (tessera-compile, tessera-run on PATH)

With --ort, each model also runs in ONNX Runtime (onnxruntime-node through
NODE_PATH) and the largest difference between its outputs and the numpy
reference is printed: a check of the reference, by hand (CI has no ORT).
"""
import math
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

from ort_runner import ort_outputs

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
    # ONNX's own (default domain, opsets 20 and 23).
    yield "onnx_gelu", "Gelu", [x], {}, [gelu(x)]
    yield "onnx_gelu_tanh", "Gelu", [x], {"approximate": "tanh"}, [gelu_tanh(x)]
    mean = x.mean(-1, keepdims=True)
    inv_std = 1 / np.sqrt(((x - mean) ** 2).mean(-1, keepdims=True) + 1e-5)
    yield ("onnx_layer_norm_statistics", "LayerNormalization", [x, gamma, beta],
           {"epsilon": 1e-5}, [layer_norm(x, gamma, beta, 1e-5), mean, inv_std])
    yield "onnx_rms_norm", "RMSNormalization", [x, gamma], {"epsilon": 1e-6}, [rms_norm(x, gamma, 1e-6)]
    yield from norm_cases()
    yield from attention_cases()
    yield from rotary_cases()
    yield from conv_cases()
    yield from contrib_attention_cases()


def normalized(x, axes, eps):
    mean = x.mean(axes, keepdims=True)
    return (x - mean) / np.sqrt(((x - mean) ** 2).mean(axes, keepdims=True) + eps)


def norm_cases():
    """Normalisations over more than the last axis (ONNX's specification):
    LayerNormalization from axis 1, InstanceNormalization (each batch and
    channel over the rest), GroupNormalization (opset 21's per-channel
    scale and bias; the model is at opset 23)."""
    x = a(2, 3, 4)
    gamma, beta = a(3, 4), a(3, 4)
    yield ("layer_norm_axis1", "LayerNormalization", [x, gamma, beta], {"axis": 1},
           [normalized(x, (1, 2), 1e-5) * gamma + beta])
    image = a(2, 6, 4, 5)
    scale, shift = a(6), a(6)
    per_channel = (slice(None), None, None)
    yield ("instance_norm", "InstanceNormalization", [image, scale, shift], {"epsilon": 1e-4},
           [normalized(image, (2, 3), 1e-4) * scale[per_channel] + shift[per_channel]])
    grouped = normalized(image.reshape(2, 3, 2, 4, 5), (2, 3, 4), 1e-5).reshape(image.shape)
    yield ("group_norm", "GroupNormalization", [image, scale, shift], {"num_groups": 3},
           [grouped * scale[per_channel] + shift[per_channel]])


def attention(Q, K, V, mask=None, past=None, causal=False, scale=None, q_heads=None,
              kv_heads=None):
    """ONNX's Attention (opset 23), from its specification."""
    three_d = Q.ndim == 3
    if three_d:
        def split(x, heads):
            b, s, hidden = x.shape
            return x.reshape(b, s, heads, hidden // heads).transpose(0, 2, 1, 3)
        Q, K, V = split(Q, q_heads), split(K, kv_heads), split(V, kv_heads)
    scale = 1 / math.sqrt(Q.shape[-1]) if scale is None else scale
    past_length = 0
    if past is not None:
        past_length = past[0].shape[2]
        K, V = np.concatenate([past[0], K], 2), np.concatenate([past[1], V], 2)
    present = (K, V)
    bias = np.zeros((Q.shape[2], K.shape[2]), np.float32)
    if mask is not None:
        bias = bias + (np.where(mask, 0, -np.inf) if mask.dtype == bool else mask)
    if causal:
        i, j = np.arange(Q.shape[2])[:, None], np.arange(K.shape[2])[None, :]
        bias = bias + np.where(j <= i + past_length, 0, -np.inf)
    reps = Q.shape[1] // K.shape[1]
    K, V = np.repeat(K, reps, 1), np.repeat(V, reps, 1)
    scores = scale * (Q @ K.transpose(0, 1, 3, 2)) + bias
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    out = (scores / scores.sum(-1, keepdims=True)) @ V
    if three_d:
        out = out.transpose(0, 2, 1, 3).reshape(out.shape[0], out.shape[2], -1)
    return out, present


def attention_cases():
    Q, K, V = a(2, 4, 5, 8), a(2, 4, 7, 8), a(2, 4, 7, 8)
    yield "attention", "Attention", [Q, K, V], {}, [attention(Q, K, V)[0]]
    yield ("attention_scaled", "Attention", [Q, K, V], {"scale": 0.3},
           [attention(Q, K, V, scale=0.3)[0]])
    S = a(2, 4, 6, 8)
    Ks, Vs = a(2, 4, 6, 8), a(2, 4, 6, 8)
    yield ("attention_causal", "Attention", [S, Ks, Vs], {"is_causal": 1},
           [attention(S, Ks, Vs, causal=True)[0]])
    keep = rng.random((2, 1, 5, 7)) > 0.3
    keep[..., 0] = True  # every query sees a key
    yield ("attention_bool_mask", "Attention", [Q, K, V, keep], {},
           [attention(Q, K, V, mask=keep)[0]])
    additive = a(5, 7)
    yield ("attention_float_mask", "Attention", [Q, K, V, additive], {},
           [attention(Q, K, V, mask=additive)[0]])
    # Decoding: 3 new queries after 4 cached keys, causal from the past.
    Qn, Kn, Vn = a(2, 4, 3, 8), a(2, 4, 3, 8), a(2, 4, 3, 8)
    pk, pv = a(2, 4, 4, 8), a(2, 4, 4, 8)
    out, (k_all, v_all) = attention(Qn, Kn, Vn, past=(pk, pv), causal=True)
    yield ("attention_past_causal", "Attention", [Qn, Kn, Vn, None, pk, pv], {"is_causal": 1},
           [out, k_all, v_all])
    # 3-D inputs with grouped-query heads: 4 query heads over 2 KV heads.
    Q3, K3, V3 = a(2, 5, 32), a(2, 7, 16), a(2, 7, 16)
    yield ("attention_3d_gqa", "Attention", [Q3, K3, V3], {"q_num_heads": 4, "kv_num_heads": 2},
           [attention(Q3, K3, V3, q_heads=4, kv_heads=2)[0]])


def rotary(x, cos_cache, sin_cache, positions=None, interleaved=False, rotated=0,
           heads=None, offset=None):
    """RotaryEmbedding from ONNX's specification (opset 23) and ONNX
    Runtime's: x [B, H, S, D], or [B, S, H*D] with `heads`; pairs (i, i + R/2)
    or (2i, 2i + 1) of the first R dims rotated by the angle of pair i at
    the token's position."""
    three_d = x.ndim == 3
    if three_d:
        b, s, hidden = x.shape
        x = x.reshape(b, s, heads, hidden // heads).transpose(0, 2, 1, 3)
    seq, size = x.shape[2], x.shape[3]
    r = rotated or size
    if offset is not None:
        positions = (offset + np.arange(seq))[None, :]
    cos = cos_cache[positions] if positions is not None else cos_cache  # [B, S, R/2]
    sin = sin_cache[positions] if positions is not None else sin_cache
    cos, sin = cos[:, None], sin[:, None]
    y = x.copy()
    if interleaved:
        first, second = x[..., 0:r:2], x[..., 1:r:2]
        y[..., 0:r:2] = first * cos - second * sin
        y[..., 1:r:2] = first * sin + second * cos
    else:
        first, second = x[..., :r // 2], x[..., r // 2:r]
        y[..., :r // 2] = first * cos - second * sin
        y[..., r // 2:r] = first * sin + second * cos
    if three_d:
        y = y.transpose(0, 2, 1, 3).reshape(x.shape[0], seq, -1)
    return y


def rotary_cases():
    x = a(2, 3, 5, 8)
    cos_cache, sin_cache = a(12, 4), a(12, 4)
    positions = rng.integers(0, 12, (2, 5)).astype(np.int64)
    yield ("rotary_half", "RotaryEmbedding", [x, cos_cache, sin_cache, positions], {},
           [rotary(x, cos_cache, sin_cache, positions)])
    x3 = a(2, 5, 24)  # 3 heads of 8, the first 4 dims of each rotated
    yield ("rotary_3d_interleaved_partial", "RotaryEmbedding",
           [x3, cos_cache[:, :2], sin_cache[:, :2], positions],
           {"interleaved": 1, "num_heads": 3, "rotary_embedding_dim": 4},
           [rotary(x3, cos_cache[:, :2], sin_cache[:, :2], positions, interleaved=True,
                   rotated=4, heads=3)])
    cos, sin = a(2, 5, 4), a(2, 5, 4)
    yield ("rotary_no_positions", "RotaryEmbedding", [x, cos, sin], {},
           [rotary(x, cos, sin)])
    yield ("rotary_contrib", "com.microsoft.RotaryEmbedding",
           [x, positions, cos_cache, sin_cache], {"interleaved": 1},
           [rotary(x, cos_cache, sin_cache, positions, interleaved=True)])
    offset = np.array([4], np.int64)
    yield ("rotary_contrib_offset_3d", "com.microsoft.RotaryEmbedding",
           [x3, offset, cos_cache, sin_cache], {"num_heads": 3},
           [rotary(x3, cos_cache, sin_cache, heads=3, offset=4)])


def contrib_attention(Q, K, V, heads, keep=None, causal=False, past=None, bias=None,
                      scale=None, mask_filter=-10000.0):
    """ONNX Runtime's Attention and MultiHeadAttention once projected:
    Q [B, S, D]; K, V [B, T, D] or already [B, N, T, H]; `keep` the kept
    keys, broadcasting over [B, 1, S, T], hidden keys get `mask_filter`
    (ContribOperators.md: mask_filter_value), keys after a query's position
    float32's lowest when `causal` (ORT's attention_helper.h);
    `past` (keys, values) [B, N, P, H] before the new ones."""
    def split(x):
        if x.ndim == 4:
            return x
        b, s, d = x.shape
        return x.reshape(b, s, heads, d // heads).transpose(0, 2, 1, 3)
    Q, K, V = split(Q), split(K), split(V)
    past_length = 0
    if past is not None:
        past_length = past[0].shape[2]
        K, V = np.concatenate([past[0], K], 2), np.concatenate([past[1], V], 2)
    scale = 1 / math.sqrt(Q.shape[-1]) if scale is None else scale
    scores = scale * (Q @ K.transpose(0, 1, 3, 2))
    if keep is not None:
        # Added in float32, as ORT does: a row that hides every key is the
        # softmax of its rounded scores (at -1e9, all equal).
        scores = scores.astype(np.float32) + np.where(keep, 0, mask_filter).astype(np.float32)
    if causal:
        i, j = np.arange(Q.shape[2])[:, None], np.arange(K.shape[2])[None, :]
        scores = scores + np.where(j <= i + past_length, 0, np.finfo(np.float32).min)
    if bias is not None:
        scores = scores + bias
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    out = (scores / scores.sum(-1, keepdims=True)) @ V
    return out.transpose(0, 2, 1, 3).reshape(out.shape[0], out.shape[2], -1), K, V


def ends_kept(ends, keys, starts=None):
    """[B, 1, 1, T] keys before each batch's end (and from its start)."""
    j = np.arange(keys)[None, :]
    keep = j < ends[:, None]
    if starts is not None:
        keep &= j >= starts[:, None]
    return keep[:, None, None, :]


def contrib_attention_cases():
    """ONNX Runtime's attention ops (its transformer optimizer writes
    them for BERT, GPT-2 and encoder-decoder models) and BERT's fused
    embeddings."""
    x, W, b = a(2, 5, 16), a(16, 48), a(48)
    q, k, v = np.split(x @ W + b, 3, axis=-1)
    yield ("ms_attention", "com.microsoft.Attention", [x, W, b], {"num_heads": 4},
           [contrib_attention(q, k, v, 4)[0]])
    ends = np.array([5, 3], np.int32)
    yield ("ms_attention_end_positions", "com.microsoft.Attention", [x, W, b, ends], {"num_heads": 4},
           [contrib_attention(q, k, v, 4, keep=ends_kept(ends, 5))[0]])
    ends_starts = np.array([5, 4, 0, 2], np.int32)  # left padding in batch 1
    yield ("ms_attention_start_positions", "com.microsoft.Attention", [x, W, b, ends_starts],
           {"num_heads": 4, "mask_filter_value": -1e9},
           [contrib_attention(q, k, v, 4, keep=ends_kept(ends_starts[:2], 5, ends_starts[2:]),
                              mask_filter=-1e9)[0]])
    # Batch 1 hides every key: at -1e9 each score rounds to the filter in
    # float32 and the row averages the values (at -10000 the scores keep
    # 1e-3 of their value, f32's resolution there, in ORT as here).
    raw = np.array([[1, 1, 1, 0, 0], [0, 0, 0, 0, 0]], np.int32)
    yield ("ms_attention_raw_mask", "com.microsoft.Attention", [x, W, b, raw],
           {"num_heads": 4, "mask_filter_value": -1e9},
           [contrib_attention(q, k, v, 4, keep=(raw > 0)[:, None, None, :],
                              mask_filter=-1e9)[0]])
    # GPT-2 decoding: 2 tokens after 3 cached, a raw mask over all 5 keys.
    xs, past = a(2, 2, 16), a(2, 2, 4, 3, 4)
    qs, ks, vs = np.split(xs @ W + b, 3, axis=-1)
    raw_total = np.array([[0, 1, 1, 1, 1], [1, 1, 1, 1, 1]], np.int32)
    out, K, V = contrib_attention(qs, ks, vs, 4, keep=(raw_total > 0)[:, None, None, :],
                                  causal=True, past=(past[0], past[1]))
    yield ("ms_attention_past_unidirectional", "com.microsoft.Attention", [xs, W, b, raw_total, past],
           {"num_heads": 4, "unidirectional": 1}, [out, np.stack([K, V])])
    # Narrower values (qkv_hidden_sizes), an attention_bias, a custom scale.
    W2, b2 = a(16, 40), a(40)
    q2, k2, v2 = np.split(x @ W2 + b2, [16, 32], axis=-1)
    rel = a(1, 4, 5, 5)
    yield ("ms_attention_sizes_bias", "com.microsoft.Attention", [x, W2, b2, None, None, rel],
           {"num_heads": 4, "qkv_hidden_sizes": [16, 16, 8], "scale": 0.25},
           [contrib_attention(q2, k2, v2, 4, bias=rel, scale=0.25)[0]])
    # MultiHeadAttention: projected inputs, a bias over the three, a key
    # padding mask, keys longer than queries (cross attention).
    Q, K, V, bias = a(2, 5, 16), a(2, 7, 16), a(2, 7, 8), a(40)
    keep = np.array([[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1]], np.int32)
    yield ("ms_mha_bias_padding", "MultiHeadAttention", [Q, K, V, bias, keep], {"num_heads": 4},
           [contrib_attention(Q + bias[:16], K + bias[16:32], V + bias[32:], 4,
                              keep=(keep > 0)[:, None, None, :])[0]])
    Qs, Ks, Vs = a(2, 3, 16), a(2, 3, 16), a(2, 3, 16)
    pk, pv = a(2, 4, 4, 4), a(2, 4, 4, 4)
    out, K_all, V_all = contrib_attention(Qs, Ks, Vs, 4, causal=True, past=(pk, pv))
    yield ("ms_mha_past_unidirectional", "MultiHeadAttention",
           [Qs, Ks, Vs, None, None, None, pk, pv], {"num_heads": 4, "unidirectional": 1},
           [out, K_all, V_all])
    # A cross attention reading cached keys and values already in heads.
    Kh, Vh = a(2, 4, 7, 4), a(2, 4, 7, 4)
    lengths = np.array([7, 2], np.int32)
    yield ("ms_mha_cached_cross", "MultiHeadAttention", [Q, Kh, Vh, None, lengths],
           {"num_heads": 4}, [contrib_attention(Q, Kh, Vh, 4, keep=ends_kept(lengths, 7))[0]])
    yield from embed_layer_norm_cases()


def embed_layer_norm_cases():
    ids = rng.integers(0, 30, (2, 5)).astype(np.int32)
    segments = rng.integers(0, 2, (2, 5)).astype(np.int32)
    word, position, segment = a(30, 16), a(12, 16), a(2, 16)
    gamma, beta = a(16), a(16)
    mask = np.array([[1, 1, 1, 1, 0], [1, 1, 0, 0, 0]], np.int32)
    total = word[ids] + position[:5] + segment[segments]
    yield ("ms_embed_layer_norm", "EmbedLayerNormalization",
           [ids, segments, word, position, segment, gamma, beta, mask], {"epsilon": 1e-5},
           [layer_norm(total, gamma, beta, 1e-5), mask.sum(1).astype(np.int32), total])
    positions = np.array([[3, 1, 4, 1, 5]], np.int32)
    total = word[ids] + position[positions]
    yield ("ms_embed_layer_norm_positions", "EmbedLayerNormalization",
           [ids, None, word, position, None, gamma, beta, None, positions], {},
           [layer_norm(total, gamma, beta, 1e-12), UNREAD])


DEFAULT_DOMAIN = {"SimplifiedLayerNormalization", "Gelu", "RMSNormalization", "Attention",
                  "LayerNormalization", "RotaryEmbedding", "InstanceNormalization",
                  "GroupNormalization"}


def conv2d(x, w, b, stride=1, pad=0):
    """ONNX's Conv for one group: NCHW, symmetric pads, in float64."""
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    y = np.zeros((n, f, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
            y[:, :, i, j] = np.einsum("nchw,fchw->nf", patch, w)
    return (y + b[None, :, None, None]).astype(np.float32)


def conv_cases():
    # ONNX Runtime's FusedConv: activation(Conv(X, W, B) + Z).
    x, w, b = a(2, 3, 7, 6), a(4, 3, 3, 3), a(4)
    z = a(2, 4, 7, 6)
    yield ("fused_conv_relu_sum", "FusedConv", [x, w, b, z],
           {"activation": "Relu", "pads": [1, 1, 1, 1]},
           [np.maximum(conv2d(x, w, b, pad=1) + z, 0)])
    yield ("fused_conv_sigmoid_strided", "FusedConv", [x, w, b],
           {"activation": "Sigmoid", "strides": [2, 2]},
           [1 / (1 + np.exp(-conv2d(x, w, b, stride=2)))])


def elem_type(x):
    return {np.dtype(bool): TensorProto.BOOL, np.dtype(np.int32): TensorProto.INT32,
            np.dtype(np.int64): TensorProto.INT64}.get(x.dtype, TensorProto.FLOAT)


# An output the node names but the graph does not return (ONNX Runtime's
# schema requires EmbedLayerNormalization's mask_index).
UNREAD = "unread"


def model(op, inputs, attrs, outputs):
    names = ["in%d" % i if x is not None else "" for i, x in enumerate(inputs)]
    out_names = ["out%d" % i if o is not None else "" for i, o in enumerate(outputs)]
    outputs = [None if isinstance(o, str) else o for o in outputs]
    domain = "" if op in DEFAULT_DOMAIN else "com.microsoft"
    if op.startswith("com.microsoft."):  # an op in both domains
        domain, op = "com.microsoft", op[len("com.microsoft."):]
    node = helper.make_node(op, names, out_names, domain=domain, **attrs)
    graph = helper.make_graph(
        [node], op,
        [helper.make_tensor_value_info(n, elem_type(x), x.shape)
         for n, x in zip(names, inputs) if x is not None],
        [helper.make_tensor_value_info(n, elem_type(o), o.shape)
         for n, o in zip(out_names, outputs) if o is not None])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23),
                                                   helper.make_opsetid("com.microsoft", 1)])


def ort_error(work, name, path, inputs, outputs):
    """The largest difference between ONNX Runtime's outputs and the numpy
    reference's (checks the reference against ORT, the ops' owner), or the
    error ORT gave."""
    feeds = {"in%d" % i: x for i, x in enumerate(inputs) if x is not None}
    wanted = {"out%d" % i: o for i, o in enumerate(outputs)
              if o is not None and not isinstance(o, str)}
    got = ort_outputs(work, name, path, feeds,
                      {n: np.float32 if o.dtype.kind == "f" else o.dtype
                       for n, o in wanted.items()})
    if isinstance(got, str):
        return got
    return "%.3g" % max(float(np.abs(g.reshape(o.shape) - o).max())
                        for g, o in zip(got, wanted.values()))


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
            if x is None:
                continue
            np.save(os.path.join(work, "%s_in%d.npy" % (name, i)), x)
            command += ["--input", "in%d=%s" % (i, os.path.join(work, "%s_in%d.npy" % (name, i)))]
        for step in (["tessera-compile", path, "-o", binary], command):
            result = subprocess.run(step, capture_output=True, text=True)
            if result.returncode:
                sys.exit("%s: %s failed:\n%s" % (name, step[0], result.stderr))
        errors = []
        for i, want in enumerate(outputs):
            if want is None or isinstance(want, str):
                continue
            got = np.load(os.path.join(work, name, "out%d.npy" % i))
            errors.append(float(np.abs(got - want).max()))
        ok = max(errors) <= TOLERANCE
        failures += not ok
        print("%s %s (%s): max abs error %.3g" % ("ok" if ok else "FAIL", name, op, max(errors)))
        if "--ort" in sys.argv[2:]:
            print("  numpy reference against ONNX Runtime: " +
                  ort_error(work, name, path, inputs, outputs))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Small-config PyTorch models of the transformer families Tessera imports,
written the way their reference implementations (Hugging Face transformers,
torch.nn, DETR) compute them, so that their ONNX exports have the same
decomposed shapes: attention as MatMul/Div/Add/Softmax/MatMul with the head
split and merge around it, LayerNorm as nn.LayerNorm (one op at opset 17, a
ReduceMean chain below), GELU in the family's own form, masks built from the
model's inputs.

    /usr/bin/python3 test/models/families.py --family bert --opset 14 -o bert.onnx

Families: bert, gpt2, gpt2-past (decoding with a key/value cache), vit,
clip-text, clip-text-pooled (with the end-of-text pooling), clip-vision, swin,
transformer (torch.nn's encoder-decoder), blip-text, detr-decoder, longformer,
longformer-sliced (global rows sliced off and concatenated back),
longformer-chunked and longformer-chunked-loop (Hugging Face's sliding
attention over overlapping chunks, through as_strided or its onnx_export
loop of slice assignments; their exports hold for the traced length only),
llama,
llama-interleaved and llama-past (RMSNorm, rotary embeddings in the
rotate-half or GPT-J's interleaved form, grouped-query attention, SwiGLU),
qformer (BLIP-2's Q-Former: learned queries before the text, the UniLM
prefix mask, cross-attention from the queries every other layer); each has
2 layers. vae-decoder is Stable Diffusion's AutoencoderKL decoder (GroupNorm
+ SiLU + 3x3 convolutions, a single-head attention over the latent
positions, nearest 2x upsampling), with 2 up-blocks. detr is DETR whole
(a ResNet-style backbone with frozen BatchNorm and max pooling, the pixel
mask resized to the features, the 2-D sine position embedding, the encoder
and decoder, the class and box heads). whisper is Whisper's encoder (two
Conv1d + GELU, sinusoidal positions) and decoder with cross-attention;
whisper-past its decoder step with cached self- and cross-attention keys
and values. mae is ViT-MAE pre-training (random masking by an argsort of
the noise, the kept patches gathered, the decoder's mask tokens put back
by the inverse permutation). Weights are random with a fixed seed.
Options give the other forms exporters write (--no-constant-folding,
--keep-initializers-as-inputs, --external-data, --half). With --reference
DIR the script also writes the inputs (input_NAME.npy) and PyTorch's
outputs (output_NAME.npy) for the end-to-end check.
"""

import argparse
import math
import os
import sys

import numpy as np
import torch
from torch import nn

HIDDEN, HEADS, FFN, LAYERS, VOCAB, MAX_POS = 64, 4, 128, 2, 97, 64


def split_heads(x, heads):
    # Hugging Face's transpose_for_scores: view(B, S, H, D).permute(0, 2, 1, 3).
    new_shape = x.size()[:-1] + (heads, x.size(-1) // heads)
    return x.view(new_shape).permute(0, 2, 1, 3)


def merge_heads(x):
    x = x.permute(0, 2, 1, 3).contiguous()
    return x.view(x.size()[:-2] + (x.size(-2) * x.size(-1),))


class BertLayer(nn.Module):
    """Post-LN encoder layer; erf GELU; additive padding mask."""

    def __init__(self):
        super().__init__()
        self.query, self.key, self.value = (nn.Linear(HIDDEN, HIDDEN) for _ in range(3))
        self.dense = nn.Linear(HIDDEN, HIDDEN)
        self.ln1 = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.intermediate = nn.Linear(HIDDEN, FFN)
        self.output = nn.Linear(FFN, HIDDEN)
        self.ln2 = nn.LayerNorm(HIDDEN, eps=1e-12)

    def forward(self, x, mask):
        q = split_heads(self.query(x), HEADS)
        k = split_heads(self.key(x), HEADS)
        v = split_heads(self.value(x), HEADS)
        scores = torch.matmul(q, k.transpose(-1, -2))
        scores = scores / math.sqrt(HIDDEN // HEADS)
        scores = scores + mask
        probs = nn.functional.softmax(scores, dim=-1)
        context = merge_heads(torch.matmul(probs, v))
        x = self.ln1(self.dense(context) + x)
        h = self.intermediate(x)
        h = h * 0.5 * (1.0 + torch.erf(h / math.sqrt(2.0)))
        return self.ln2(self.output(h) + x)


class Bert(nn.Module):
    inputs = {"input_ids": ("ids", {0: "batch", 1: "seq"}),
              "attention_mask": ("padding", {0: "batch", 1: "seq"})}
    output_axes = {0: "batch", 1: "seq"}

    def __init__(self):
        super().__init__()
        self.words = nn.Embedding(VOCAB, HIDDEN)
        self.positions = nn.Embedding(MAX_POS, HIDDEN)
        self.ln = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.layers = nn.ModuleList(BertLayer() for _ in range(LAYERS))

    def forward(self, input_ids, attention_mask):
        seq = input_ids.size(1)
        positions = torch.arange(seq, dtype=torch.long).unsqueeze(0)
        x = self.ln(self.words(input_ids) + self.positions(positions))
        # get_extended_attention_mask: (1 - m) * finfo.min, broadcast over
        # heads and queries.
        mask = attention_mask[:, None, None, :].to(x.dtype)
        mask = (1.0 - mask) * torch.finfo(x.dtype).min
        for layer in self.layers:
            x = layer(x, mask)
        return x


class Conv1D(nn.Module):
    """GPT-2's linear layer: addmm with a [in, out] weight (exports as Gemm
    or MatMul + Add)."""

    def __init__(self, nf, nx):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(nx, nf) * 0.02)
        self.bias = nn.Parameter(torch.randn(nf) * 0.02)
        self.nf = nf

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


class Gpt2Block(nn.Module):
    """Pre-LN decoder block; packed QKV split; causal mask sliced from a
    lower-triangular table and applied with Where; tanh GELU."""

    def __init__(self):
        super().__init__()
        self.ln_1 = nn.LayerNorm(HIDDEN, eps=1e-5)
        self.c_attn = Conv1D(3 * HIDDEN, HIDDEN)
        self.c_proj = Conv1D(HIDDEN, HIDDEN)
        self.ln_2 = nn.LayerNorm(HIDDEN, eps=1e-5)
        self.c_fc = Conv1D(FFN, HIDDEN)
        self.mlp_proj = Conv1D(HIDDEN, FFN)
        self.register_buffer(
            "bias", torch.tril(torch.ones((MAX_POS, MAX_POS), dtype=torch.bool)).view(1, 1, MAX_POS, MAX_POS))

    def attention(self, x, attention_mask, layer_past=None):
        q, k, v = self.c_attn(x).split(HIDDEN, dim=2)
        q, k, v = (split_heads(t, HEADS) for t in (q, k, v))
        if layer_past is not None:
            # Hugging Face's layer_past: cached keys and values in front.
            past_key, past_value = layer_past
            k = torch.cat((past_key, k), dim=-2)
            v = torch.cat((past_value, v), dim=-2)
        present = (k, v)
        w = torch.matmul(q, k.transpose(-1, -2))
        w = w / torch.full([], v.size(-1) ** 0.5, dtype=w.dtype)
        query_length, key_length = q.size(-2), k.size(-2)
        causal = self.bias[:, :, key_length - query_length:key_length, :key_length]
        mask_value = torch.full([], torch.finfo(w.dtype).min, dtype=w.dtype)
        w = torch.where(causal, w.to(w.dtype), mask_value)
        w = w + attention_mask
        w = nn.functional.softmax(w, dim=-1)
        return self.c_proj(merge_heads(torch.matmul(w, v))), present

    def forward(self, x, attention_mask, layer_past=None):
        attended, present = self.attention(self.ln_1(x), attention_mask, layer_past)
        x = x + attended
        h = self.c_fc(self.ln_2(x))
        h = 0.5 * h * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (h + 0.044715 * torch.pow(h, 3.0))))
        return x + self.mlp_proj(h), present


class Gpt2(nn.Module):
    inputs = Bert.inputs
    output_axes = Bert.output_axes

    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(VOCAB, HIDDEN)
        self.wpe = nn.Embedding(MAX_POS, HIDDEN)
        self.h = nn.ModuleList(Gpt2Block() for _ in range(LAYERS))
        self.ln_f = nn.LayerNorm(HIDDEN, eps=1e-5)

    def forward(self, input_ids, attention_mask):
        seq = input_ids.size(-1)
        position_ids = torch.arange(0, seq, dtype=torch.long).unsqueeze(0)
        x = self.wte(input_ids) + self.wpe(position_ids)
        mask = attention_mask[:, None, None, :].to(x.dtype)
        mask = (1.0 - mask) * torch.finfo(x.dtype).min
        for block in self.h:
            x, _ = block(x, mask)
        return self.ln_f(x)


def cache_signature(kind):
    """Inputs and outputs of a decoder step with a key/value cache: the new
    tokens, the mask over past + seq keys and each layer's past keys and
    values (`kind`: "cache", HEADS heads; "kv_cache", KV_HEADS), then the
    hidden states and each layer's present keys and values."""
    inputs = {"input_ids": ("ids", {0: "batch", 1: "seq"}),
              "attention_mask": ("padding", {0: "batch", 1: "past+seq"})}
    outputs = {"output": {0: "batch", 1: "seq"}}
    for layer in range(LAYERS):
        for name in ("key", "value"):
            inputs["past_%s_%d" % (name, layer)] = (kind, {0: "batch", 2: "past"})
            outputs["present_%s_%d" % (name, layer)] = {0: "batch", 2: "past+seq"}
    return inputs, outputs


class Gpt2Past(Gpt2):
    """GPT-2 decoding with a key/value cache (Hugging Face's past_key_values):
    each layer's cached keys and values [B, H, past, D] are concatenated in
    front of the new tokens', the causal table is sliced at rows
    key_length - query_length .. key_length, positions start at past, and
    the attention mask covers past + seq keys. Outputs the hidden states and
    every layer's present keys and values."""

    inputs, outputs = cache_signature("cache")

    def forward(self, input_ids, attention_mask, *past):
        seq = input_ids.size(-1)
        past_length = past[0].size(-2)
        position_ids = torch.arange(past_length, seq + past_length, dtype=torch.long).unsqueeze(0)
        x = self.wte(input_ids) + self.wpe(position_ids)
        mask = attention_mask[:, None, None, :].to(x.dtype)
        mask = (1.0 - mask) * torch.finfo(x.dtype).min
        presents = []
        for i, block in enumerate(self.h):
            x, present = block(x, mask, (past[2 * i], past[2 * i + 1]))
            presents.extend(present)
        return (self.ln_f(x), *presents)


class Gpt2Lm(Gpt2Past):
    """GPT2LMHeadModel with past_key_values: Gpt2Past and a language-model
    head tied to the token embedding, giving "logits" [B, seq, vocab] first
    (what a decoding loop reads), then the present keys and values."""

    outputs = {"logits": {0: "batch", 1: "seq"}}
    outputs.update({k: v for k, v in Gpt2Past.outputs.items() if k != "output"})

    def forward(self, input_ids, attention_mask, *past):
        hidden, *presents = super().forward(input_ids, attention_mask, *past)
        return (hidden @ self.wte.weight.t(), *presents)


class QuickGelu(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class BmmAttention(nn.Module):
    """The attention of CLIP, BART and DETR in Hugging Face transformers:
    Q scaled before the product, heads folded into the batch for bmm, each
    mask added on a [B, H, Lq, Lk] view. `q_pos` / `k_pos` are DETR's
    position embeddings, added to the queries' and keys' inputs only."""

    def __init__(self):
        super().__init__()
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (
            nn.Linear(HIDDEN, HIDDEN) for _ in range(4))
        self.head_dim = HIDDEN // HEADS

    def forward(self, x, kv=None, masks=(), q_pos=None, k_pos=None):
        bsz, tgt, _ = x.size()
        kv = x if kv is None else kv
        q = self.q_proj(x if q_pos is None else x + q_pos) * self.head_dim ** -0.5
        k = self.k_proj(kv if k_pos is None else kv + k_pos)
        v = self.v_proj(kv)

        def fold_heads(t):
            t = t.view(bsz, -1, HEADS, self.head_dim).transpose(1, 2)
            return t.reshape(bsz * HEADS, -1, self.head_dim)

        q, k, v = fold_heads(q), fold_heads(k), fold_heads(v)
        src = k.size(1)
        w = torch.bmm(q, k.transpose(1, 2))
        for mask in masks:
            w = (w.view(bsz, HEADS, tgt, src) + mask).view(bsz * HEADS, tgt, src)
        w = nn.functional.softmax(w, dim=-1)
        out = torch.bmm(w, v).view(bsz, HEADS, tgt, self.head_dim).transpose(1, 2)
        return self.out_proj(out.reshape(bsz, tgt, HIDDEN))


def expand_padding_mask(mask, dtype, tgt_len):
    """Hugging Face's _expand_mask: [B, Lk] -> [B, 1, Lq, Lk], 0 where a key
    is real and finfo.min where it is padding."""
    bsz, src_len = mask.size()
    expanded = mask[:, None, None, :].expand(bsz, 1, tgt_len, src_len).to(dtype)
    inverted = 1.0 - expanded
    return inverted.masked_fill(inverted.to(torch.bool), torch.finfo(dtype).min)


class ClipLayer(nn.Module):
    """Pre-LN encoder layer with quick_gelu (CLIP's text and vision towers)."""

    def __init__(self):
        super().__init__()
        self.layer_norm1 = nn.LayerNorm(HIDDEN)
        self.self_attn = BmmAttention()
        self.layer_norm2 = nn.LayerNorm(HIDDEN)
        self.fc1, self.fc2 = nn.Linear(HIDDEN, FFN), nn.Linear(FFN, HIDDEN)
        self.act = QuickGelu()

    def forward(self, x, masks=()):
        x = x + self.self_attn(self.layer_norm1(x), masks=masks)
        return x + self.fc2(self.act(self.fc1(self.layer_norm2(x))))


class ClipText(nn.Module):
    """CLIP's text tower: a causal mask made with triu over a full finfo.min
    tensor, plus the padding mask, both added (padded causal entries
    overflow to -inf)."""

    inputs = Bert.inputs
    output_axes = Bert.output_axes

    def __init__(self):
        super().__init__()
        self.token_embedding = nn.Embedding(VOCAB, HIDDEN)
        self.position_embedding = nn.Embedding(MAX_POS, HIDDEN)
        self.register_buffer("position_ids", torch.arange(MAX_POS).expand((1, -1)))
        self.layers = nn.ModuleList(ClipLayer() for _ in range(LAYERS))
        self.final_layer_norm = nn.LayerNorm(HIDDEN)

    def forward(self, input_ids, attention_mask):
        bsz, seq = input_ids.size()
        x = self.token_embedding(input_ids) + self.position_embedding(self.position_ids[:, :seq])
        causal = torch.empty(bsz, seq, seq, dtype=x.dtype)
        causal.fill_(torch.tensor(torch.finfo(x.dtype).min))
        causal = causal.triu_(1).unsqueeze(1)
        padding = expand_padding_mask(attention_mask, x.dtype, seq)
        for layer in self.layers:
            x = layer(x, masks=(causal, padding))
        return self.final_layer_norm(x)


class ClipTextPooled(ClipText):
    """CLIP's text tower with the pooled output CLIPTextTransformer computes:
    each sequence's hidden state at its end-of-text token (the largest id,
    found by ArgMax over input_ids) picked with a batch index, then the
    text projection (CLIPTextModelWithProjection's text_embeds)."""

    outputs = {"last_hidden_state": {0: "batch", 1: "seq"}, "text_embeds": {0: "batch"}}

    def __init__(self):
        super().__init__()
        self.text_projection = nn.Linear(HIDDEN, HIDDEN // 2, bias=False)

    def forward(self, input_ids, attention_mask):
        x = super().forward(input_ids, attention_mask)
        pooled = x[torch.arange(x.shape[0]), input_ids.to(dtype=torch.int).argmax(dim=-1)]
        return x, self.text_projection(pooled)


IMAGE, CHANNELS = 16, 3


class ClipVision(nn.Module):
    """CLIP's vision tower: 4x4/4 patch convolution without bias, a class
    embedding concatenated in front, pre- and post-layer norms, the class
    token pooled and projected."""

    inputs = {"pixel_values": ("image", {0: "batch"})}
    output_axes = {0: "batch"}
    patch = 4

    def __init__(self):
        super().__init__()
        self.patch_embedding = nn.Conv2d(CHANNELS, HIDDEN, self.patch, self.patch, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(HIDDEN))
        positions = (IMAGE // self.patch) ** 2 + 1
        self.position_embedding = nn.Embedding(positions, HIDDEN)
        self.register_buffer("position_ids", torch.arange(positions).expand((1, -1)))
        self.pre_layrnorm = nn.LayerNorm(HIDDEN)
        self.layers = nn.ModuleList(ClipLayer() for _ in range(LAYERS))
        self.post_layernorm = nn.LayerNorm(HIDDEN)
        self.visual_projection = nn.Linear(HIDDEN, HIDDEN // 2, bias=False)

    def forward(self, pixel_values):
        bsz = pixel_values.shape[0]
        patches = self.patch_embedding(pixel_values).flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(bsz, 1, -1)
        x = torch.cat([cls, patches], dim=1) + self.position_embedding(self.position_ids)
        x = self.pre_layrnorm(x)
        for layer in self.layers:
            x = layer(x)
        return self.visual_projection(self.post_layernorm(x[:, 0, :]))


class Clip(nn.Module):
    """CLIPModel: both towers, their embeddings normalized and compared with
    a learned temperature: logits_per_image [images, texts] (what zero-shot
    classification reads) and logits_per_text."""

    inputs = {"input_ids": ("ids", {0: "texts", 1: "seq"}),
              "attention_mask": ("padding", {0: "texts", 1: "seq"}),
              "pixel_values": ("image", {0: "images"})}
    outputs = {"logits_per_image": {0: "images", 1: "texts"},
               "logits_per_text": {0: "texts", 1: "images"}}

    def __init__(self):
        super().__init__()
        self.text_model = ClipTextPooled()
        self.vision_model = ClipVision()
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def forward(self, input_ids, attention_mask, pixel_values):
        _, text = self.text_model(input_ids, attention_mask)
        image = self.vision_model(pixel_values)
        text = text / text.norm(p=2, dim=-1, keepdim=True)
        image = image / image.norm(p=2, dim=-1, keepdim=True)
        logits_per_text = self.logit_scale.exp() * text @ image.t()
        return logits_per_text.t(), logits_per_text


class VitLayer(nn.Module):
    """Pre-LN encoder layer, BERT-style attention without a mask, erf GELU."""

    def __init__(self):
        super().__init__()
        self.layernorm_before = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.query, self.key, self.value = (nn.Linear(HIDDEN, HIDDEN) for _ in range(3))
        self.dense = nn.Linear(HIDDEN, HIDDEN)
        self.layernorm_after = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.intermediate = nn.Linear(HIDDEN, FFN)
        self.output = nn.Linear(FFN, HIDDEN)

    def forward(self, x):
        h = self.layernorm_before(x)
        q, k, v = (split_heads(p(h), HEADS) for p in (self.query, self.key, self.value))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(HIDDEN // HEADS)
        probs = nn.functional.softmax(scores, dim=-1)
        x = x + self.dense(merge_heads(torch.matmul(probs, v)))
        h = nn.functional.gelu(self.intermediate(self.layernorm_after(x)))
        return x + self.output(h)


class Vit(nn.Module):
    """ViT: 16x16/16 patch convolution on a 32x32 image, a CLS token
    concatenated in front, learned position embeddings, final layer norm."""

    inputs = {"pixel_values": ("image", {0: "batch"})}
    output_axes = {0: "batch"}
    image, patch = 32, 16

    def __init__(self):
        super().__init__()
        self.projection = nn.Conv2d(CHANNELS, HIDDEN, self.patch, self.patch)
        self.cls_token = nn.Parameter(torch.randn(1, 1, HIDDEN))
        self.position_embeddings = nn.Parameter(
            torch.randn(1, (self.image // self.patch) ** 2 + 1, HIDDEN))
        self.layers = nn.ModuleList(VitLayer() for _ in range(LAYERS))
        self.layernorm = nn.LayerNorm(HIDDEN, eps=1e-12)

    def forward(self, pixel_values):
        bsz = pixel_values.shape[0]
        x = self.projection(pixel_values).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(bsz, -1, -1), x], dim=1) + self.position_embeddings
        for layer in self.layers:
            x = layer(x)
        return self.layernorm(x)


class ViTMAE(nn.Module):
    """Hugging Face's ViTMAEForPreTraining, small: 8x8 patches of a 32x32
    image (16 patches), random_masking as it computes it (argsort of the
    noise, exported as TopK; the kept patches and the mask gathered with
    batch-dependent indices, GatherElements), the ViT encoder over the CLS
    token and the 4 visible patches, the decoder with mask tokens put back
    in place by the inverse permutation, and the per-patch pixel
    predictions ("logits") and the mask. The noise is an input, as it is
    for a reproducible run."""

    inputs = {"pixel_values": ("image", {0: "batch"}), "noise": ("noise", {0: "batch"})}
    outputs = {"logits": {0: "batch"}, "mask": {0: "batch"}}
    image, patch, mask_ratio = 32, 8, 0.75

    def __init__(self):
        super().__init__()
        patches = (self.image // self.patch) ** 2
        self.projection = nn.Conv2d(CHANNELS, HIDDEN, self.patch, self.patch)
        self.cls_token = nn.Parameter(torch.randn(1, 1, HIDDEN))
        self.register_buffer("position_embeddings", torch.randn(1, patches + 1, HIDDEN))
        self.layers = nn.ModuleList(VitLayer() for _ in range(LAYERS))
        self.layernorm = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.decoder_embed = nn.Linear(HIDDEN, HIDDEN)
        self.mask_token = nn.Parameter(torch.randn(1, 1, HIDDEN))
        self.register_buffer("decoder_pos_embed", torch.randn(1, patches + 1, HIDDEN))
        self.decoder_layers = nn.ModuleList(VitLayer() for _ in range(LAYERS))
        self.decoder_norm = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.decoder_pred = nn.Linear(HIDDEN, self.patch ** 2 * CHANNELS)

    def random_masking(self, sequence, noise):
        batch_size, seq_length, dim = sequence.shape
        len_keep = int(seq_length * (1 - self.mask_ratio))
        ids_shuffle = torch.argsort(noise, dim=1)
        ids_restore = torch.argsort(ids_shuffle, dim=1)
        ids_keep = ids_shuffle[:, :len_keep]
        sequence_unmasked = torch.gather(sequence, dim=1,
                                         index=ids_keep.unsqueeze(-1).repeat(1, 1, dim))
        mask = torch.ones([batch_size, seq_length], device=sequence.device)
        mask[:, :len_keep] = 0
        mask = torch.gather(mask, dim=1, index=ids_restore)
        return sequence_unmasked, mask, ids_restore

    def forward(self, pixel_values, noise):
        embeddings = self.projection(pixel_values).flatten(2).transpose(1, 2)
        embeddings = embeddings + self.position_embeddings[:, 1:, :]
        embeddings, mask, ids_restore = self.random_masking(embeddings, noise)
        cls_token = self.cls_token + self.position_embeddings[:, :1, :]
        cls_tokens = cls_token.expand(embeddings.shape[0], -1, -1)
        x = torch.cat((cls_tokens, embeddings), dim=1)
        for layer in self.layers:
            x = layer(x)
        x = self.decoder_embed(self.layernorm(x))
        mask_tokens = self.mask_token.repeat(x.shape[0], ids_restore.shape[1] + 1 - x.shape[1], 1)
        x_ = torch.cat([x[:, 1:, :], mask_tokens], dim=1)
        x_ = torch.gather(x_, dim=1, index=ids_restore.unsqueeze(-1).repeat(1, 1, x.shape[2]))
        x = torch.cat([x[:, :1, :], x_], dim=1) + self.decoder_pos_embed
        for layer in self.decoder_layers:
            x = layer(x)
        logits = self.decoder_pred(self.decoder_norm(x))
        return logits[:, 1:, :], mask


class EncoderDecoder(nn.Module):
    """torch.nn.Transformer (post-LN, ReLU, packed in_proj attention): the
    encoder sees a key padding mask, the decoder a causal mask from
    generate_square_subsequent_mask and the same padding over the memory."""

    inputs = {"src": ("features", {0: "batch", 1: "src_seq"}),
              "tgt": ("features", {0: "batch", 1: "seq"}),
              "src_padding": ("bool_padding", {0: "batch", 1: "src_seq"})}
    output_axes = {0: "batch", 1: "seq"}

    def __init__(self):
        super().__init__()
        # nn.Transformer, built from its parts to turn off the nested-tensor
        # path, which has no ONNX export.
        encoder_layer = nn.TransformerEncoderLayer(HIDDEN, HEADS, FFN, 0.0, batch_first=True)
        decoder_layer = nn.TransformerDecoderLayer(HIDDEN, HEADS, FFN, 0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(encoder_layer, LAYERS, nn.LayerNorm(HIDDEN),
                                             enable_nested_tensor=False)
        self.decoder = nn.TransformerDecoder(decoder_layer, LAYERS, nn.LayerNorm(HIDDEN))

    def forward(self, src, tgt, src_padding):
        causal = nn.Transformer.generate_square_subsequent_mask(tgt.size(1))
        memory = self.encoder(src, src_key_padding_mask=src_padding)
        return self.decoder(tgt, memory, tgt_mask=causal, memory_key_padding_mask=src_padding)


class BertCrossLayer(nn.Module):
    """BLIP's text decoder layer: BERT-style causal self-attention, cross
    attention over the image features, erf GELU, post-LN."""

    def __init__(self):
        super().__init__()
        self.self_qkv = nn.ModuleList(nn.Linear(HIDDEN, HIDDEN) for _ in range(3))
        self.self_out, self.self_ln = nn.Linear(HIDDEN, HIDDEN), nn.LayerNorm(HIDDEN, eps=1e-12)
        self.cross_qkv = nn.ModuleList(nn.Linear(HIDDEN, HIDDEN) for _ in range(3))
        self.cross_out, self.cross_ln = nn.Linear(HIDDEN, HIDDEN), nn.LayerNorm(HIDDEN, eps=1e-12)
        self.intermediate, self.output = nn.Linear(HIDDEN, FFN), nn.Linear(FFN, HIDDEN)
        self.ln = nn.LayerNorm(HIDDEN, eps=1e-12)

    @staticmethod
    def attend(projections, x, kv, mask):
        q, k, v = (split_heads(p(t), HEADS) for p, t in zip(projections, (x, kv, kv)))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(HIDDEN // HEADS) + mask
        return merge_heads(torch.matmul(nn.functional.softmax(scores, dim=-1), v))

    def forward(self, x, mask, image, image_mask):
        x = self.self_ln(self.self_out(self.attend(self.self_qkv, x, x, mask)) + x)
        x = self.cross_ln(self.cross_out(self.attend(self.cross_qkv, x, image, image_mask)) + x)
        h = nn.functional.gelu(self.intermediate(x))
        return self.ln(self.output(h) + x)


class BlipTextDecoder(nn.Module):
    """BLIP's text decoder: the causal mask made from arange comparisons and
    multiplied with the padding mask before (1 - m) * finfo.min (Hugging
    Face's get_extended_attention_mask for decoders); cross attention over
    image features with their own padding mask."""

    inputs = {**Bert.inputs,
              "image_embeds": ("features", {0: "batch", 1: "image_seq"}),
              "image_mask": ("padding", {0: "batch", 1: "image_seq"})}
    output_axes = Bert.output_axes

    def __init__(self):
        super().__init__()
        self.word_embeddings = nn.Embedding(VOCAB, HIDDEN)
        self.position_embeddings = nn.Embedding(MAX_POS, HIDDEN)
        self.register_buffer("position_ids", torch.arange(MAX_POS).expand((1, -1)))
        self.ln = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.layers = nn.ModuleList(BertCrossLayer() for _ in range(LAYERS))

    def forward(self, input_ids, attention_mask, image_embeds, image_mask):
        bsz, seq = input_ids.size()
        x = self.word_embeddings(input_ids) + self.position_embeddings(self.position_ids[:, :seq])
        x = self.ln(x)
        seq_ids = torch.arange(seq)
        causal = seq_ids[None, None, :].repeat(bsz, seq, 1) <= seq_ids[None, :, None]
        causal = causal.to(attention_mask.dtype)
        mask = causal[:, None, :, :] * attention_mask[:, None, None, :]
        mask = (1.0 - mask.to(x.dtype)) * torch.finfo(x.dtype).min
        image_mask = (1.0 - image_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        for layer in self.layers:
            x = layer(x, mask, image_embeds, image_mask)
        return x


class BlipLm(BlipTextDecoder):
    """BLIP's text decoder with its language-model head tied to the word
    embeddings (BlipTextLMHeadModel without its transform): "logits" for
    captioning, run without a cache (each step takes the whole caption)."""

    outputs = {"logits": {0: "batch", 1: "seq"}}

    def forward(self, input_ids, attention_mask, image_embeds, image_mask):
        hidden = super().forward(input_ids, attention_mask, image_embeds, image_mask)
        return hidden @ self.word_embeddings.weight.t()


class TransformerLm(nn.Module):
    """torch.nn.Transformer as a translation model: source and target tokens
    embedded by one shared table (with learned positions), the encoder over
    the source, the decoder over the target with its causal mask, logits
    through the tied table. "input_ids" are the target tokens, the decoder's
    side that generation grows; "src_ids" the source."""

    inputs = {"src_ids": ("ids", {0: "batch", 1: "src_seq"}),
              "input_ids": ("ids", {0: "batch", 1: "seq"})}
    outputs = {"logits": {0: "batch", 1: "seq"}}

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, HIDDEN)
        self.positions = nn.Embedding(MAX_POS, HIDDEN)
        encoder_layer = nn.TransformerEncoderLayer(HIDDEN, HEADS, FFN, 0.0, batch_first=True)
        decoder_layer = nn.TransformerDecoderLayer(HIDDEN, HEADS, FFN, 0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(encoder_layer, LAYERS, nn.LayerNorm(HIDDEN),
                                             enable_nested_tensor=False)
        self.decoder = nn.TransformerDecoder(decoder_layer, LAYERS, nn.LayerNorm(HIDDEN))

    def embedded(self, ids):
        return self.embed(ids) + self.positions(torch.arange(ids.size(1)))[None]

    def forward(self, src_ids, input_ids):
        causal = nn.Transformer.generate_square_subsequent_mask(input_ids.size(1))
        memory = self.encoder(self.embedded(src_ids))
        hidden = self.decoder(self.embedded(input_ids), memory, tgt_mask=causal)
        return hidden @ self.embed.weight.t()


QUERIES = 100


class DetrDecoderLayer(nn.Module):
    """DETR's decoder layer: post-LN, position embeddings added to queries
    and keys (not values), ReLU FFN."""

    def __init__(self):
        super().__init__()
        self.self_attn, self.self_attn_layer_norm = BmmAttention(), nn.LayerNorm(HIDDEN)
        self.encoder_attn, self.encoder_attn_layer_norm = BmmAttention(), nn.LayerNorm(HIDDEN)
        self.fc1, self.fc2 = nn.Linear(HIDDEN, FFN), nn.Linear(FFN, HIDDEN)
        self.final_layer_norm = nn.LayerNorm(HIDDEN)

    def forward(self, x, query_pos, memory, memory_pos, memory_mask):
        x = self.self_attn_layer_norm(x + self.self_attn(x, q_pos=query_pos, k_pos=query_pos))
        x = self.encoder_attn_layer_norm(x + self.encoder_attn(
            x, kv=memory, masks=(memory_mask,), q_pos=query_pos, k_pos=memory_pos))
        return self.final_layer_norm(x + self.fc2(nn.functional.relu(self.fc1(x))))


class DetrDecoder(nn.Module):
    """DETR's decoder: 100 learned object queries (starting from zeros) over
    the encoder's memory, which is padded per image (pixel mask)."""

    inputs = {"memory": ("features", {0: "batch", 1: "memory_seq"}),
              "memory_pos": ("features", {0: "batch", 1: "memory_seq"}),
              "pixel_mask": ("padding", {0: "batch", 1: "memory_seq"})}
    output_axes = {0: "batch"}

    def __init__(self):
        super().__init__()
        self.query_position_embeddings = nn.Embedding(QUERIES, HIDDEN)
        self.layers = nn.ModuleList(DetrDecoderLayer() for _ in range(LAYERS))
        self.layernorm = nn.LayerNorm(HIDDEN)

    def forward(self, memory, memory_pos, pixel_mask):
        bsz = memory.size(0)
        query_pos = self.query_position_embeddings.weight.unsqueeze(0).repeat(bsz, 1, 1)
        x = torch.zeros_like(query_pos)
        mask = expand_padding_mask(pixel_mask, memory.dtype, QUERIES)
        for layer in self.layers:
            x = layer(x, query_pos, memory, memory_pos, mask)
        return self.layernorm(x)


class DetrFrozenBatchNorm2d(nn.Module):
    """Hugging Face's DetrFrozenBatchNorm2d (torchvision's FrozenBatchNorm2d),
    which replaces the backbone's BatchNorm: x * scale + bias with the
    statistics as buffers, exported as a Mul and an Add per channel."""

    def __init__(self, channels):
        super().__init__()
        self.register_buffer("weight", 1.0 + 0.1 * torch.randn(channels))
        self.register_buffer("bias", 0.1 * torch.randn(channels))
        self.register_buffer("running_mean", 0.1 * torch.randn(channels))
        self.register_buffer("running_var", 0.5 + torch.rand(channels))

    def forward(self, x):
        weight = self.weight.reshape(1, -1, 1, 1)
        bias = self.bias.reshape(1, -1, 1, 1)
        running_var = self.running_var.reshape(1, -1, 1, 1)
        running_mean = self.running_mean.reshape(1, -1, 1, 1)
        scale = weight * (running_var + 1e-5).rsqrt()
        bias = bias - running_mean * scale
        return x * scale + bias


class DetrBottleneck(nn.Module):
    """ResNet-50's bottleneck block (torchvision / timm): 1x1, 3x3 with the
    stride, 1x1, each with a frozen BatchNorm, and a strided 1x1
    projection of the input where the shape changes."""

    def __init__(self, channels_in, width, channels_out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(channels_in, width, 1, bias=False)
        self.bn1 = DetrFrozenBatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = DetrFrozenBatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, channels_out, 1, bias=False)
        self.bn3 = DetrFrozenBatchNorm2d(channels_out)
        self.downsample = nn.Sequential(
            nn.Conv2d(channels_in, channels_out, 1, stride=stride, bias=False),
            DetrFrozenBatchNorm2d(channels_out))

    def forward(self, x):
        h = nn.functional.relu(self.bn1(self.conv1(x)))
        h = nn.functional.relu(self.bn2(self.conv2(h)))
        h = self.bn3(self.conv3(h))
        return nn.functional.relu(h + self.downsample(x))


class DetrSinePositionEmbedding(nn.Module):
    """Hugging Face's DetrSinePositionEmbedding (normalize=True): the
    cumulative counts of real pixels down and across, scaled to 2 pi,
    through sines and cosines of HIDDEN / 2 frequencies each."""

    def forward(self, pixel_values, pixel_mask):
        embedding_dim, temperature, scale = HIDDEN // 2, 10000, 2 * math.pi
        y_embed = pixel_mask.cumsum(1, dtype=torch.float32)
        x_embed = pixel_mask.cumsum(2, dtype=torch.float32)
        y_embed = y_embed / (y_embed[:, -1:, :] + 1e-6) * scale
        x_embed = x_embed / (x_embed[:, :, -1:] + 1e-6) * scale
        dim_t = torch.arange(embedding_dim, dtype=torch.int64).float()
        dim_t = temperature ** (2 * torch.div(dim_t, 2, rounding_mode="floor") / embedding_dim)
        pos_x = x_embed[:, :, :, None] / dim_t
        pos_y = y_embed[:, :, :, None] / dim_t
        pos_x = torch.stack((pos_x[:, :, :, 0::2].sin(), pos_x[:, :, :, 1::2].cos()), dim=4).flatten(3)
        pos_y = torch.stack((pos_y[:, :, :, 0::2].sin(), pos_y[:, :, :, 1::2].cos()), dim=4).flatten(3)
        return torch.cat((pos_y, pos_x), dim=3).permute(0, 3, 1, 2)


class DetrEncoderLayer(nn.Module):
    """DETR's encoder layer: post-LN, the position embeddings added to the
    queries' and keys' inputs, ReLU FFN."""

    def __init__(self):
        super().__init__()
        self.self_attn, self.self_attn_layer_norm = BmmAttention(), nn.LayerNorm(HIDDEN)
        self.fc1, self.fc2 = nn.Linear(HIDDEN, FFN), nn.Linear(FFN, HIDDEN)
        self.final_layer_norm = nn.LayerNorm(HIDDEN)

    def forward(self, x, pos, mask):
        x = self.self_attn_layer_norm(x + self.self_attn(x, masks=(mask,), q_pos=pos, k_pos=pos))
        return self.final_layer_norm(x + self.fc2(nn.functional.relu(self.fc1(x))))


class Detr(nn.Module):
    """DETR whole, as Hugging Face's DetrForObjectDetection computes it: a
    ResNet-style backbone (7x7 stride-2 stem, frozen BatchNorm, ReLU, 3x3
    stride-2 max pooling, two bottleneck blocks, the second strided) at
    output stride 8, the pixel mask resized to the feature map, the 2-D
    sine position embedding, a 1x1 input projection, the encoder over the
    H*W feature positions, the decoder's 100 object queries, and the class
    and box heads."""

    inputs = {"pixel_values": ("image", {0: "batch"}),
              "pixel_mask": ("pixel_mask", {0: "batch"})}
    outputs = {"logits": {0: "batch"}, "pred_boxes": {0: "batch"}}
    image = 64

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(CHANNELS, 16, 7, stride=2, padding=3, bias=False)
        self.bn1 = DetrFrozenBatchNorm2d(16)
        self.layer1 = DetrBottleneck(16, 8, 32, 1)
        self.layer2 = DetrBottleneck(32, 16, 64, 2)
        self.position_embedding = DetrSinePositionEmbedding()
        self.input_projection = nn.Conv2d(64, HIDDEN, 1)
        self.encoder_layers = nn.ModuleList(DetrEncoderLayer() for _ in range(LAYERS))
        self.decoder = DetrDecoder()
        self.class_labels_classifier = nn.Linear(HIDDEN, 5 + 1)
        self.bbox_predictor = nn.ModuleList([nn.Linear(HIDDEN, HIDDEN), nn.Linear(HIDDEN, HIDDEN),
                                             nn.Linear(HIDDEN, 4)])

    def forward(self, pixel_values, pixel_mask):
        x = nn.functional.relu(self.bn1(self.conv1(pixel_values)))
        x = nn.functional.max_pool2d(x, 3, stride=2, padding=1)
        feature_map = self.layer2(self.layer1(x))
        mask = nn.functional.interpolate(pixel_mask[None].float(),
                                         size=feature_map.shape[-2:]).to(torch.bool)[0]
        pos = self.position_embedding(feature_map, mask)
        memory = self.input_projection(feature_map).flatten(2).permute(0, 2, 1)
        pos = pos.flatten(2).permute(0, 2, 1)
        flat_mask = mask.flatten(1)
        encoder_mask = expand_padding_mask(flat_mask, memory.dtype, memory.shape[1])
        for layer in self.encoder_layers:
            memory = layer(memory, pos, encoder_mask)
        x = self.decoder(memory, pos, flat_mask)
        boxes = x
        for i, linear in enumerate(self.bbox_predictor):
            boxes = linear(boxes) if i == 2 else nn.functional.relu(linear(boxes))
        return self.class_labels_classifier(x), boxes.sigmoid()


WINDOW, GLOBAL_TOKENS = 2, (0,)


class LongformerLayer(BertLayer):
    """Longformer's attention as Hugging Face computes it, without the
    chunking: every row attends through the local mask with the usual
    projections; the global rows are computed again, separately, with their
    own projections (query_global, key_global, value_global) over all keys,
    and replace those rows."""

    def __init__(self):
        super().__init__()
        self.query_global, self.key_global, self.value_global = (
            nn.Linear(HIDDEN, HIDDEN) for _ in range(3))

    def forward(self, x, mask, padding, is_global, global_slot):
        q, k, v = (split_heads(p(x), HEADS) for p in (self.query, self.key, self.value))
        scale = math.sqrt(HIDDEN // HEADS)
        probs = nn.functional.softmax(torch.matmul(q, k.transpose(-1, -2)) / scale + mask, dim=-1)
        local = torch.matmul(probs, v)
        # Global rows: their own projections, every (real) key.
        qg = split_heads(self.query_global(x[:, list(GLOBAL_TOKENS)]), HEADS)
        kg, vg = split_heads(self.key_global(x), HEADS), split_heads(self.value_global(x), HEADS)
        global_probs = nn.functional.softmax(torch.matmul(qg, kg.transpose(-1, -2)) / scale + padding, dim=-1)
        rows = torch.matmul(global_probs, vg)[:, :, global_slot]
        context = merge_heads(torch.where(is_global[None, None, :, None], rows, local))
        x = self.ln1(self.dense(context) + x)
        h = self.intermediate(x)
        h = h * 0.5 * (1.0 + torch.erf(h / math.sqrt(2.0)))
        return self.ln2(self.output(h) + x)


class Longformer(nn.Module):
    """A Longformer-style encoder that states its masks densely the way
    reference (non-chunked) implementations do: a band |i - j| <= w from
    position differences (layer 0), the same band dilated by 2 with a Mod
    test (layer 1), each or-ed with the global token positions (the CLS
    token sees and is seen by all), plus the padding mask; the global rows
    use their own projections (LongformerLayer). Position ids come from
    RoBERTa's cumsum over the non-padding tokens."""

    inputs = {"input_ids": ("ids", {0: "batch", 1: "seq"}),
              "attention_mask": ("padding", {0: "batch", 1: "seq"})}
    output_axes = {0: "batch", 1: "seq"}
    padding_idx = 1
    dilations = (1, 2)
    global_tokens = GLOBAL_TOKENS
    layer_type = LongformerLayer

    def __init__(self):
        super().__init__()
        self.words = nn.Embedding(VOCAB, HIDDEN, padding_idx=self.padding_idx)
        self.positions = nn.Embedding(MAX_POS + 2, HIDDEN, padding_idx=self.padding_idx)
        self.ln = nn.LayerNorm(HIDDEN, eps=1e-5)
        self.layers = nn.ModuleList(self.layer_type() for _ in range(LAYERS))

    def forward(self, input_ids, attention_mask):
        seq = input_ids.size(1)
        real = input_ids.ne(self.padding_idx).int()
        position_ids = (torch.cumsum(real, dim=1).type_as(real) * real).long() + self.padding_idx
        x = self.ln(self.words(input_ids) + self.positions(position_ids))
        pos = torch.arange(seq)
        distance = pos[None, :] - pos[:, None]
        is_global = torch.zeros(seq, dtype=torch.bool)
        global_slot = torch.zeros(seq, dtype=torch.long)  # row -> global row
        for slot, token in enumerate(self.global_tokens):
            is_global = is_global | (pos == token)
            global_slot = global_slot + (pos == token).long() * slot
        padding = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        for layer, dilation in zip(self.layers, self.dilations):
            band = distance.abs() <= WINDOW * dilation
            if dilation > 1:
                band = band & (torch.remainder(distance, dilation) == 0)
            keep = band | is_global[:, None] | is_global[None, :]
            local = torch.zeros(seq, seq).masked_fill(~keep, torch.finfo(x.dtype).min)
            x = layer(x, local[None, None] + padding, padding, is_global, global_slot)
        return x


class LongformerSlicedLayer(LongformerLayer):
    """The global rows written the plain PyTorch way when the G global tokens
    lead the sequence: x[:, :G] through the global projections, the local
    result from row G on, and a cat along the sequence."""

    def forward(self, x, mask, padding, is_global, global_slot):
        g = len(LongformerSliced.global_tokens)
        q, k, v = (split_heads(p(x), HEADS) for p in (self.query, self.key, self.value))
        scale = math.sqrt(HIDDEN // HEADS)
        probs = nn.functional.softmax(torch.matmul(q, k.transpose(-1, -2)) / scale + mask, dim=-1)
        local = merge_heads(torch.matmul(probs, v))
        qg = split_heads(self.query_global(x[:, :g]), HEADS)
        kg, vg = split_heads(self.key_global(x), HEADS), split_heads(self.value_global(x), HEADS)
        global_probs = nn.functional.softmax(torch.matmul(qg, kg.transpose(-1, -2)) / scale + padding, dim=-1)
        rows = merge_heads(torch.matmul(global_probs, vg))
        context = torch.cat([rows, local[:, g:]], dim=1)
        x = self.ln1(self.dense(context) + x)
        h = self.intermediate(x)
        h = h * 0.5 * (1.0 + torch.erf(h / math.sqrt(2.0)))
        return self.ln2(self.output(h) + x)


class LongformerSliced(Longformer):
    """Longformer with two leading global tokens whose rows are sliced off
    and concatenated back (LongformerSlicedLayer)."""

    global_tokens = (0, 1)
    layer_type = LongformerSlicedLayer


def chunk_overlapping(x, w, loop):
    """[BH, S, D] as S / w - 1 chunks of 2w rows overlapping by w:
    [BH, S / w - 1, 2w, D]. Hugging Face's _chunk: an as_strided view, or
    with onnx_export a loop of slice assignments into an empty tensor."""
    if not loop:
        x = x.view(x.size(0), torch.div(x.size(1), w * 2, rounding_mode="trunc"), w * 2, x.size(2))
        size, stride = list(x.size()), list(x.stride())
        size[1], stride[1] = size[1] * 2 - 1, stride[1] // 2
        return x.as_strided(size=size, stride=stride)
    size = [x.size(0), torch.div(x.size(1), w, rounding_mode="trunc") - 1, w * 2, x.size(2)]
    chunks = torch.empty(size)
    for c in range(size[1]):
        chunks[:, c] = x[:, c * w:c * w + 2 * w]
    return chunks


def pad_and_diagonalize(x):
    """[BH, C, w, d] -> [BH, C, w, w + d - 1], row r shifted right by r."""
    heads, chunks, w, d = x.size()
    x = nn.functional.pad(x, (0, w + 1)).view(heads, chunks, -1)[:, :, :-w]
    return x.view(heads, chunks, w, w + d)[:, :, :, :-1]


def mask_invalid_locations(scores, w):
    """-inf where a band slot of the first and last w rows falls outside
    the sequence."""
    begin = scores.new_ones(w, w + 1).tril().flip(dims=[0])[None, :, None, :]
    end = begin.flip(dims=(1, 3))
    first = scores[:, :w, :, :w + 1]
    scores[:, :w, :, :w + 1] = torch.full_like(first, -float("inf")).where(
        begin.expand(first.size()).bool(), first)
    last = scores[:, -w:, :, -(w + 1):]
    scores[:, -w:, :, -(w + 1):] = torch.full_like(last, -float("inf")).where(
        end.expand(last.size()).bool(), last)


def sliding_chunks_scores(q, k, w, loop):
    """Hugging Face's _sliding_chunks_query_key_matmul: the scores of each
    query against the 2w + 1 keys around it, [B, S, H, 2w + 1], from the
    products of overlapping chunks rearranged into diagonals."""
    b, s, h, d = q.size()
    chunks = torch.div(s, w, rounding_mode="trunc") - 1
    q, k = (chunk_overlapping(t.transpose(1, 2).reshape(b * h, s, d), w, loop) for t in (q, k))
    products = torch.einsum("bcxd,bcyd->bcxy", (q, k))
    products = nn.functional.pad(products, (0, 0, 0, 1))
    products = products.view(*products.size()[:-2], products.size(-1), products.size(-2))
    scores = products.new_zeros((b * h, chunks + 1, w, w * 2 + 1))
    scores[:, :-1, :, w:] = products[:, :, :w, :w + 1]
    scores[:, -1, :, w:] = products[:, -1, w:, :w + 1]
    scores[:, 1:, :, :w] = products[:, :, -(w + 1):-1, w + 1:]
    scores[:, 0, 1:w, 1:w] = products[:, 0, :w - 1, 1 - w:]
    scores = scores.view(b, h, s, 2 * w + 1).transpose(2, 1)
    mask_invalid_locations(scores, w)
    return scores


def sliding_chunks_context(probs, v, w, loop):
    """Hugging Face's _sliding_chunks_matmul_attn_probs_value."""
    b, s, h, d = v.size()
    chunks = torch.div(s, w, rounding_mode="trunc") - 1
    probs = probs.transpose(1, 2).reshape(b * h, torch.div(s, w, rounding_mode="trunc"), w, 2 * w + 1)
    v = nn.functional.pad(v.transpose(1, 2).reshape(b * h, s, d), (0, 0, w, w), value=-1)
    size = (b * h, chunks + 1, 3 * w, d)
    if loop:
        values = torch.empty(size)
        for c in range(size[1]):
            values[:, c] = v[:, c * w:c * w + 3 * w]
    else:
        stride = v.stride()
        values = v.as_strided(size=size, stride=(stride[0], w * stride[1], stride[1], stride[2]))
    context = torch.einsum("bcwd,bcdh->bcwh", (pad_and_diagonalize(probs), values))
    return context.view(b, h, s, d).transpose(1, 2)


class LongformerChunkedLayer(BertLayer):
    """Longformer's sliding-window attention exactly as Hugging Face's
    LongformerSelfAttention computes it without global tokens: queries
    scaled first, the banded scores from overlapping chunks
    (sliding_chunks_scores), the padding keys' mask banded the same way
    and added, softmax over the 2w + 1 slots, padding rows zeroed, the
    context from the chunked values."""

    loop = False

    def forward(self, x, attention_mask):
        b, s, _ = x.size()
        heads, d = HEADS, HIDDEN // HEADS
        q = (self.query(x) / math.sqrt(d)).view(b, s, heads, d)
        k, v = self.key(x).view(b, s, heads, d), self.value(x).view(b, s, heads, d)
        scores = sliding_chunks_scores(q, k, WINDOW, self.loop)
        hidden = (attention_mask != 0)[:, :, None, None]
        float_mask = hidden.type_as(q).masked_fill(hidden, torch.finfo(q.dtype).min)
        scores = scores + sliding_chunks_scores(float_mask.new_ones(size=float_mask.size()),
                                                float_mask, WINDOW, self.loop)
        probs = nn.functional.softmax(scores, dim=-1, dtype=torch.float32)
        probs = torch.masked_fill(probs, (attention_mask < 0)[:, :, None, None], 0.0)
        context = sliding_chunks_context(probs, v, WINDOW, self.loop).reshape(b, s, HIDDEN)
        x = self.ln1(self.dense(context) + x)
        h = self.intermediate(x)
        h = h * 0.5 * (1.0 + torch.erf(h / math.sqrt(2.0)))
        return self.ln2(self.output(h) + x)


class LongformerChunked(Longformer):
    """Longformer as Hugging Face's LongformerModel runs it with no global
    tokens: the sequence padded to a multiple of the window (2w) with the
    padding token, the local attention over overlapping chunks
    (LongformerChunkedLayer), the padding cut off again. Its export holds
    for the traced length only: the padding and the chunk count are
    Python numbers in the trace."""

    layer_type = LongformerChunkedLayer

    def forward(self, input_ids, attention_mask):
        seq = input_ids.size(1)
        padding = (2 * WINDOW - seq % (2 * WINDOW)) % (2 * WINDOW)
        input_ids = nn.functional.pad(input_ids, (0, padding), value=self.padding_idx)
        attention_mask = nn.functional.pad(attention_mask, (0, padding), value=0)
        real = input_ids.ne(self.padding_idx).int()
        position_ids = (torch.cumsum(real, dim=1).type_as(real) * real).long() + self.padding_idx
        x = self.ln(self.words(input_ids) + self.positions(position_ids))
        extended = (1.0 - attention_mask.to(x.dtype)) * torch.finfo(x.dtype).min
        for layer in self.layers:
            x = layer(x, extended)
        return x[:, :seq]


class LongformerChunkedLoopLayer(LongformerChunkedLayer):
    loop = True


class LongformerChunkedLoop(LongformerChunked):
    """LongformerChunked with Hugging Face's onnx_export chunking: a loop of
    slice assignments (ScatterND) in place of as_strided."""

    layer_type = LongformerChunkedLoopLayer


GRID, WINDOW_SIZE, SHIFT = 8, 4, 2


def window_partition(x, size):
    b, h, w, c = x.shape
    x = x.view(b, h // size, size, w // size, size, c)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, size, size, c)


def window_reverse(windows, size, h, w):
    c = windows.shape[-1]
    x = windows.view(-1, h // size, w // size, size, size, c)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, h, w, c)


class SwinLayer(nn.Module):
    """Hugging Face's SwinLayer: (shifted) window attention with a relative
    position bias table, the shift's region mask added per window, roll /
    partition / reverse / roll around it; pre-LN, erf GELU."""

    def __init__(self, shift):
        super().__init__()
        self.shift = shift
        n = WINDOW_SIZE * WINDOW_SIZE
        self.layernorm_before = nn.LayerNorm(HIDDEN)
        self.query, self.key, self.value = (nn.Linear(HIDDEN, HIDDEN) for _ in range(3))
        self.dense = nn.Linear(HIDDEN, HIDDEN)
        self.relative_position_bias_table = nn.Parameter(
            torch.randn((2 * WINDOW_SIZE - 1) ** 2, HEADS) * 0.5)
        coords = torch.stack(torch.meshgrid(torch.arange(WINDOW_SIZE), torch.arange(WINDOW_SIZE),
                                            indexing="ij")).flatten(1)
        relative = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (WINDOW_SIZE - 1)
        self.register_buffer("relative_position_index",
                             relative[:, :, 0] * (2 * WINDOW_SIZE - 1) + relative[:, :, 1])
        self.layernorm_after = nn.LayerNorm(HIDDEN)
        self.intermediate, self.output = nn.Linear(HIDDEN, FFN), nn.Linear(FFN, HIDDEN)
        mask = None
        if shift:
            region = torch.zeros(1, GRID, GRID, 1)
            cuts = (slice(0, -WINDOW_SIZE), slice(-WINDOW_SIZE, -shift), slice(-shift, None))
            count = 0
            for h in cuts:
                for w in cuts:
                    region[:, h, w, :] = count
                    count += 1
            windows = window_partition(region, WINDOW_SIZE).view(-1, n)
            mask = windows.unsqueeze(1) - windows.unsqueeze(2)
            mask = mask.masked_fill(mask != 0, -100.0).masked_fill(mask == 0, 0.0)
        self.register_buffer("attn_mask", mask)

    def attention(self, x):
        b_, n, _ = x.shape
        q, k, v = (split_heads(p(x), HEADS) for p in (self.query, self.key, self.value))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(HIDDEN // HEADS)
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)]
        scores = scores + bias.view(n, n, -1).permute(2, 0, 1).contiguous().unsqueeze(0)
        if self.attn_mask is not None:
            windows = self.attn_mask.shape[0]
            scores = scores.view(b_ // windows, windows, HEADS, n, n)
            scores = (scores + self.attn_mask.unsqueeze(1).unsqueeze(0)).view(-1, HEADS, n, n)
        probs = nn.functional.softmax(scores, dim=-1)
        return self.dense(merge_heads(torch.matmul(probs, v)))

    def forward(self, x):
        b, _, c = x.shape
        shortcut = x
        x = self.layernorm_before(x).view(b, GRID, GRID, c)
        if self.shift:
            x = torch.roll(x, shifts=(-self.shift, -self.shift), dims=(1, 2))
        windows = window_partition(x, WINDOW_SIZE).view(-1, WINDOW_SIZE * WINDOW_SIZE, c)
        attended = self.attention(windows).view(-1, WINDOW_SIZE, WINDOW_SIZE, c)
        x = window_reverse(attended, WINDOW_SIZE, GRID, GRID)
        if self.shift:
            x = torch.roll(x, shifts=(self.shift, self.shift), dims=(1, 2))
        x = shortcut + x.reshape(b, GRID * GRID, c)
        h = nn.functional.gelu(self.intermediate(self.layernorm_after(x)))
        return x + self.output(h)


class Swin(nn.Module):
    """Swin stage 1: 2x2/2 patch embedding to an 8x8 grid, a window block and
    a shifted-window block (window 4, shift 2)."""

    inputs = {"pixel_values": ("image", {0: "batch"})}
    output_axes = {0: "batch"}
    patch = 2

    def __init__(self):
        super().__init__()
        self.projection = nn.Conv2d(CHANNELS, HIDDEN, self.patch, self.patch)
        self.norm = nn.LayerNorm(HIDDEN)
        self.layers = nn.ModuleList(SwinLayer(shift) for shift in (0, SHIFT))

    def forward(self, pixel_values):
        x = self.norm(self.projection(pixel_values).flatten(2).transpose(1, 2))
        for layer in self.layers:
            x = layer(x)
        return x


KV_HEADS, ROPE_BASE = 2, 10000.0


class LlamaRMSNorm(nn.Module):
    """Hugging Face's LlamaRMSNorm: x * rsqrt(mean(x^2) + eps) * weight, in
    float32."""

    def __init__(self, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(1.0 + 0.1 * torch.randn(HIDDEN))
        self.variance_epsilon = eps

    def forward(self, hidden_states):
        hidden_states = hidden_states.to(torch.float32)
        variance = hidden_states.pow(2).mean(-1, keepdim=True)
        hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)
        return self.weight * hidden_states


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rotate_every_two(x):
    """GPT-J's interleaved form: pairs of adjacent dims."""
    x1 = x[:, :, :, ::2]
    x2 = x[:, :, :, 1::2]
    x = torch.stack((-x2, x1), dim=-1)
    return x.flatten(-2)


class LlamaAttention(nn.Module):
    """Grouped-query attention without biases: HEADS query heads share
    KV_HEADS key/value heads (repeat_kv: Expand + Reshape), rotary position
    embeddings in the rotate-half form applied to Q and K from cos/sin
    tables gathered at the position ids."""

    def __init__(self, rotate=rotate_half):
        super().__init__()
        self.rotate = rotate
        self.head_dim = HIDDEN // HEADS
        self.q_proj = nn.Linear(HIDDEN, HEADS * self.head_dim, bias=False)
        self.k_proj = nn.Linear(HIDDEN, KV_HEADS * self.head_dim, bias=False)
        self.v_proj = nn.Linear(HIDDEN, KV_HEADS * self.head_dim, bias=False)
        self.o_proj = nn.Linear(HEADS * self.head_dim, HIDDEN, bias=False)

    @staticmethod
    def repeat_kv(hidden_states, n_rep):
        batch, kv_heads, slen, head_dim = hidden_states.shape
        hidden_states = hidden_states[:, :, None, :, :].expand(
            batch, kv_heads, n_rep, slen, head_dim)
        return hidden_states.reshape(batch, kv_heads * n_rep, slen, head_dim)

    def forward(self, x, mask, cos, sin, layer_past=None):
        bsz, q_len, _ = x.size()
        q = self.q_proj(x).view(bsz, q_len, HEADS, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(bsz, q_len, KV_HEADS, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(bsz, q_len, KV_HEADS, self.head_dim).transpose(1, 2)
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
        q = (q * cos) + (self.rotate(q) * sin)
        k = (k * cos) + (self.rotate(k) * sin)
        if layer_past is not None:
            k = torch.cat((layer_past[0], k), dim=2)
            v = torch.cat((layer_past[1], v), dim=2)
        present = (k, v)
        k = self.repeat_kv(k, HEADS // KV_HEADS)
        v = self.repeat_kv(v, HEADS // KV_HEADS)
        w = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim)
        w = w + mask
        w = nn.functional.softmax(w, dim=-1, dtype=torch.float32).to(q.dtype)
        out = torch.matmul(w, v).transpose(1, 2).reshape(bsz, q_len, HIDDEN)
        return self.o_proj(out), present


class LlamaLayer(nn.Module):
    """Pre-RMSNorm decoder layer with a SwiGLU MLP: down(silu(gate(x)) *
    up(x))."""

    def __init__(self, rotate=rotate_half):
        super().__init__()
        self.input_layernorm = LlamaRMSNorm()
        self.self_attn = LlamaAttention(rotate)
        self.post_attention_layernorm = LlamaRMSNorm()
        self.gate_proj = nn.Linear(HIDDEN, FFN, bias=False)
        self.up_proj = nn.Linear(HIDDEN, FFN, bias=False)
        self.down_proj = nn.Linear(FFN, HIDDEN, bias=False)

    def forward(self, x, mask, cos, sin, layer_past=None):
        attended, present = self.self_attn(self.input_layernorm(x), mask, cos, sin,
                                           layer_past)
        x = x + attended
        h = self.post_attention_layernorm(x)
        h = self.down_proj(nn.functional.silu(self.gate_proj(h)) * self.up_proj(h))
        return x + h, present


class Llama(nn.Module):
    """LlamaModel: token embedding, rotary tables (cos/sin cached for
    MAX_POS positions, gathered at the position ids), the 4-D causal mask
    combined with the padding mask as _prepare_4d_causal_attention_mask
    builds it (finfo.min), LAYERS decoder layers, the final RMSNorm."""

    inputs = Bert.inputs
    output_axes = Bert.output_axes
    interleaved = False

    def __init__(self):
        super().__init__()
        self.embed_tokens = nn.Embedding(VOCAB, HIDDEN)
        rotate = rotate_every_two if self.interleaved else rotate_half
        self.layers = nn.ModuleList(LlamaLayer(rotate) for _ in range(LAYERS))
        self.norm = LlamaRMSNorm()
        head_dim = HIDDEN // HEADS
        inv_freq = 1.0 / (ROPE_BASE ** (torch.arange(0, head_dim, 2).float() / head_dim))
        freqs = torch.outer(torch.arange(MAX_POS).float(), inv_freq)
        if self.interleaved:  # GPT-J: each angle repeated for its pair
            emb = freqs.repeat_interleave(2, dim=-1)
        else:
            emb = torch.cat((freqs, freqs), dim=-1)
        self.register_buffer("cos_cached", emb.cos(), persistent=False)
        self.register_buffer("sin_cached", emb.sin(), persistent=False)

    def causal_mask(self, attention_mask, q_len, past, dtype):
        key_len = past + q_len
        minimum = torch.finfo(dtype).min
        mask = torch.full((q_len, q_len), minimum)
        cond = torch.arange(q_len)
        mask.masked_fill_(cond < (cond + 1).view(q_len, 1), 0)
        mask = torch.cat([torch.zeros(q_len, past, dtype=dtype), mask], dim=-1)
        mask = mask[None, None, :, :].expand(attention_mask.size(0), 1, q_len, key_len)
        inverted = 1.0 - attention_mask[:, None, None, :].expand(-1, 1, q_len, -1).to(dtype)
        padding = inverted.masked_fill(inverted.to(torch.bool), minimum)
        return mask.masked_fill(padding.to(torch.bool), minimum)

    def run(self, input_ids, attention_mask, past):
        q_len = input_ids.size(1)
        past_length = past[0].size(2) if past else 0
        position_ids = torch.arange(past_length, past_length + q_len).unsqueeze(0)
        x = self.embed_tokens(input_ids)
        cos, sin = self.cos_cached[position_ids], self.sin_cached[position_ids]
        mask = self.causal_mask(attention_mask, q_len, past_length, x.dtype)
        presents = []
        for i, layer in enumerate(self.layers):
            x, present = layer(x, mask, cos, sin,
                               (past[2 * i], past[2 * i + 1]) if past else None)
            presents.extend(present)
        return self.norm(x), presents

    def forward(self, input_ids, attention_mask):
        return self.run(input_ids, attention_mask, ())[0]


class LlamaInterleaved(Llama):
    """Llama with the rotary embedding in GPT-J's interleaved form
    (rotate_every_two, tables repeated per pair), as Meta's reference
    implementation pairs the dims."""

    interleaved = True


class LlamaPast(Llama):
    """Llama decoding with a key/value cache of KV_HEADS heads per layer."""

    inputs, outputs = cache_signature("kv_cache")

    def forward(self, input_ids, attention_mask, *past):
        hidden, presents = self.run(input_ids, attention_mask, past)
        return (hidden, *presents)


QFORMER_QUERIES = 8  # BLIP-2 learns 32


class QFormerAttention(nn.Module):
    """LAVIS's BertAttention: self (query, key, value; key and value from
    the image features for cross attention) and output (dense + LayerNorm
    of the residual)."""

    def __init__(self):
        super().__init__()
        self.query, self.key, self.value = (nn.Linear(HIDDEN, HIDDEN) for _ in range(3))
        self.dense = nn.Linear(HIDDEN, HIDDEN)
        self.LayerNorm = nn.LayerNorm(HIDDEN, eps=1e-12)

    def forward(self, x, mask, kv=None):
        kv = x if kv is None else kv
        q = split_heads(self.query(x), HEADS)
        k = split_heads(self.key(kv), HEADS)
        v = split_heads(self.value(kv), HEADS)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(HIDDEN // HEADS) + mask
        context = merge_heads(torch.matmul(nn.functional.softmax(scores, dim=-1), v))
        return self.LayerNorm(self.dense(context) + x)


class QFormerFeedForward(nn.Module):
    """intermediate (dense + GELU) and output (dense + LayerNorm)."""

    def __init__(self):
        super().__init__()
        self.intermediate, self.output = nn.Linear(HIDDEN, FFN), nn.Linear(FFN, HIDDEN)
        self.LayerNorm = nn.LayerNorm(HIDDEN, eps=1e-12)

    def forward(self, x):
        return self.LayerNorm(self.output(nn.functional.gelu(self.intermediate(x))) + x)


class QFormerLayer(nn.Module):
    """LAVIS's Q-Former BertLayer: self-attention over the queries and the
    text; for the queries alone, cross-attention to the image features
    (every other layer) and their own feed-forward (intermediate_query,
    output_query); the text's feed-forward; the two concatenated back."""

    def __init__(self, cross):
        super().__init__()
        self.attention = QFormerAttention()
        self.crossattention = QFormerAttention() if cross else None
        self.feed_forward_query = QFormerFeedForward()
        self.feed_forward = QFormerFeedForward()

    def forward(self, x, mask, image, image_mask):
        attended = self.attention(x, mask)
        queries = attended[:, :QFORMER_QUERIES, :]
        if self.crossattention is not None:
            queries = self.crossattention(queries, image_mask, image)
        text = self.feed_forward(attended[:, QFORMER_QUERIES:, :])
        return torch.cat([self.feed_forward_query(queries), text], dim=1)


class QFormer(nn.Module):
    """BLIP-2's Q-Former as LAVIS computes it for image-grounded text
    generation: QFORMER_QUERIES learned query tokens before the text embeddings
    (word + position, LayerNorm over both), the UniLM mask of
    get_extended_attention_mask(is_decoder=True, has_query=True): queries
    see the queries, text sees every query and, causally, earlier text,
    times the padding (the queries' all ones); cross-attention from the
    queries to the image features in layers 0, 2, ... The output is every
    position, queries first."""

    inputs = {**Bert.inputs, "image_embeds": ("features", {0: "batch", 1: "image_seq"})}
    output_axes = {0: "batch", 1: "positions"}

    def __init__(self):
        super().__init__()
        self.query_tokens = nn.Parameter(0.5 * torch.randn(1, QFORMER_QUERIES, HIDDEN))
        self.word_embeddings = nn.Embedding(VOCAB, HIDDEN)
        self.position_embeddings = nn.Embedding(MAX_POS, HIDDEN)
        self.register_buffer("position_ids", torch.arange(MAX_POS).expand((1, -1)))
        self.LayerNorm = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.layer = nn.ModuleList(QFormerLayer(cross=i % 2 == 0) for i in range(LAYERS))

    @staticmethod
    def extended_mask(attention_mask, input_shape, dtype):
        batch_size, seq_length = input_shape
        seq_ids = torch.arange(seq_length)
        causal_mask = seq_ids[None, None, :].repeat(batch_size, seq_length, 1) <= seq_ids[None, :, None]
        causal_mask = causal_mask.to(attention_mask.dtype)
        prefix_seq_len = attention_mask.shape[1] - causal_mask.shape[1]
        causal_mask = torch.cat([torch.zeros((batch_size, prefix_seq_len, seq_length),
                                             dtype=causal_mask.dtype), causal_mask], axis=1)
        causal_mask = torch.cat([torch.ones((batch_size, causal_mask.shape[1], prefix_seq_len),
                                            dtype=causal_mask.dtype), causal_mask], axis=-1)
        extended = causal_mask[:, None, :, :] * attention_mask[:, None, None, :]
        return (1.0 - extended.to(dtype)) * -10000.0

    def forward(self, input_ids, attention_mask, image_embeds):
        bsz, seq = input_ids.size()
        text = self.word_embeddings(input_ids) + self.position_embeddings(self.position_ids[:, :seq])
        queries = self.query_tokens.expand(bsz, -1, -1)
        x = self.LayerNorm(torch.cat((queries, text), dim=1))
        query_atts = torch.ones(queries.size()[:-1], dtype=attention_mask.dtype)
        mask = self.extended_mask(torch.cat([query_atts, attention_mask], dim=1),
                                  input_ids.size(), x.dtype)
        image_atts = torch.ones(image_embeds.size()[:-1], dtype=torch.long)
        image_mask = (1.0 - image_atts[:, None, None, :].to(x.dtype)) * -10000.0
        for layer in self.layer:
            x = layer(x, mask, image_embeds, image_mask)
        return x


VAE_LATENT, VAE_LATENT_SIZE, VAE_CHANNELS, VAE_GROUPS = 4, 8, (32, 64), 8


class VaeResnetBlock(nn.Module):
    """diffusers' ResnetBlock2D (no time embedding): GroupNorm + SiLU +
    3x3 conv twice, a 1x1 conv_shortcut where the channels change."""

    def __init__(self, channels_in, channels_out):
        super().__init__()
        self.norm1 = nn.GroupNorm(VAE_GROUPS, channels_in, eps=1e-6)
        self.conv1 = nn.Conv2d(channels_in, channels_out, 3, padding=1)
        self.norm2 = nn.GroupNorm(VAE_GROUPS, channels_out, eps=1e-6)
        self.conv2 = nn.Conv2d(channels_out, channels_out, 3, padding=1)
        self.conv_shortcut = (nn.Conv2d(channels_in, channels_out, 1)
                              if channels_in != channels_out else None)

    def forward(self, input_tensor):
        h = self.conv1(nn.functional.silu(self.norm1(input_tensor)))
        h = self.conv2(nn.functional.silu(self.norm2(h)))
        if self.conv_shortcut is not None:
            input_tensor = self.conv_shortcut(input_tensor)
        return (input_tensor + h) / 1.0  # output_scale_factor


class VaeAttention(nn.Module):
    """diffusers' Attention as the VAE's mid-block builds it (one head over
    every latent position, group_norm, residual_connection) with
    AttnProcessor: get_attention_scores' baddbmm over an empty tensor with
    beta = 0, the softmax upcast to float."""

    def __init__(self, channels):
        super().__init__()
        self.group_norm = nn.GroupNorm(VAE_GROUPS, channels, eps=1e-6)
        self.to_q, self.to_k, self.to_v = (nn.Linear(channels, channels) for _ in range(3))
        self.to_out = nn.ModuleList([nn.Linear(channels, channels), nn.Dropout(0.0)])
        self.heads, self.scale = 1, channels ** -0.5

    def head_to_batch_dim(self, tensor):
        b, s, dim = tensor.shape
        tensor = tensor.reshape(b, s, self.heads, dim // self.heads)
        return tensor.permute(0, 2, 1, 3).reshape(b * self.heads, s, dim // self.heads)

    def batch_to_head_dim(self, tensor):
        b, s, dim = tensor.shape
        tensor = tensor.reshape(b // self.heads, self.heads, s, dim)
        return tensor.permute(0, 2, 1, 3).reshape(b // self.heads, s, dim * self.heads)

    def forward(self, hidden_states):
        residual = hidden_states
        batch, channel, height, width = hidden_states.shape
        hidden_states = hidden_states.view(batch, channel, height * width).transpose(1, 2)
        hidden_states = self.group_norm(hidden_states.transpose(1, 2)).transpose(1, 2)
        query = self.head_to_batch_dim(self.to_q(hidden_states))
        key = self.head_to_batch_dim(self.to_k(hidden_states))
        value = self.head_to_batch_dim(self.to_v(hidden_states))
        baddbmm_input = torch.empty(query.shape[0], query.shape[1], key.shape[1],
                                    dtype=query.dtype)
        scores = torch.baddbmm(baddbmm_input, query, key.transpose(-1, -2), beta=0,
                               alpha=self.scale)
        probs = scores.float().softmax(dim=-1).to(query.dtype)
        hidden_states = self.batch_to_head_dim(torch.bmm(probs, value))
        hidden_states = self.to_out[1](self.to_out[0](hidden_states))
        hidden_states = hidden_states.transpose(-1, -2).reshape(batch, channel, height, width)
        return (hidden_states + residual) / 1.0  # rescale_output_factor


class VaeUpBlock(nn.Module):
    """UpDecoderBlock2D: layers_per_block + 1 resnets, then (but in the
    last block) Upsample2D: nearest 2x and a 3x3 conv."""

    def __init__(self, channels_in, channels_out, upsample):
        super().__init__()
        self.resnets = nn.ModuleList([VaeResnetBlock(channels_in, channels_out),
                                      VaeResnetBlock(channels_out, channels_out)])
        self.upsampler = nn.Conv2d(channels_out, channels_out, 3, padding=1) if upsample else None

    def forward(self, x):
        for resnet in self.resnets:
            x = resnet(x)
        if self.upsampler is not None:
            x = self.upsampler(nn.functional.interpolate(x, scale_factor=2.0, mode="nearest"))
        return x


class VaeDecoder(nn.Module):
    """Stable Diffusion's AutoencoderKL.decode, small: post_quant_conv, then
    the Decoder (conv_in; the mid-block's ResNet, single-head attention
    over the latent positions and ResNet; up-blocks with nearest 2x
    upsampling; GroupNorm + SiLU + conv_out) from 4 latent channels to an
    RGB image twice the latent's size."""

    inputs = {"latent_sample": ("latent", {0: "batch"})}
    output_axes = {0: "batch"}

    def __init__(self):
        super().__init__()
        top = VAE_CHANNELS[-1]
        self.post_quant_conv = nn.Conv2d(VAE_LATENT, VAE_LATENT, 1)
        self.conv_in = nn.Conv2d(VAE_LATENT, top, 3, padding=1)
        self.mid_resnet0 = VaeResnetBlock(top, top)
        self.mid_attention = VaeAttention(top)
        self.mid_resnet1 = VaeResnetBlock(top, top)
        reversed_channels = list(reversed(VAE_CHANNELS))
        self.up_blocks = nn.ModuleList(
            VaeUpBlock(reversed_channels[max(i - 1, 0)], channels, i < len(VAE_CHANNELS) - 1)
            for i, channels in enumerate(reversed_channels))
        self.conv_norm_out = nn.GroupNorm(VAE_GROUPS, VAE_CHANNELS[0], eps=1e-6)
        self.conv_out = nn.Conv2d(VAE_CHANNELS[0], CHANNELS, 3, padding=1)

    def forward(self, latent_sample):
        x = self.conv_in(self.post_quant_conv(latent_sample))
        x = self.mid_resnet1(self.mid_attention(self.mid_resnet0(x)))
        for block in self.up_blocks:
            x = block(x)
        return self.conv_out(nn.functional.silu(self.conv_norm_out(x)))


WHISPER_MELS, WHISPER_FRAMES = 8, 30
WHISPER_POSITIONS = WHISPER_FRAMES // 2


def whisper_sinusoids(length, channels, max_timescale=10000):
    """Whisper's sinusoids() for the encoder's fixed position table."""
    log_timescale_increment = math.log(max_timescale) / (channels // 2 - 1)
    inv_timescales = torch.exp(-log_timescale_increment * torch.arange(channels // 2))
    scaled_time = torch.arange(length).view(-1, 1) * inv_timescales.view(1, -1)
    return torch.cat([scaled_time.sin(), scaled_time.cos()], dim=1)


class WhisperAttention(nn.Module):
    """Hugging Face's WhisperAttention (BART's): q scaled after its
    projection, no bias on k_proj, heads folded into the batch for bmm;
    self-attention appends its new keys and values to the cached ones,
    cross-attention reuses cached encoder keys and values when given."""

    def __init__(self):
        super().__init__()
        self.k_proj = nn.Linear(HIDDEN, HIDDEN, bias=False)
        self.v_proj, self.q_proj, self.out_proj = (nn.Linear(HIDDEN, HIDDEN) for _ in range(3))
        self.head_dim = HIDDEN // HEADS
        self.scaling = self.head_dim ** -0.5

    def _shape(self, tensor, seq_len, bsz):
        return tensor.view(bsz, seq_len, HEADS, self.head_dim).transpose(1, 2).contiguous()

    def forward(self, hidden_states, key_value_states=None, past_key_value=None, mask=None):
        bsz, tgt_len, _ = hidden_states.size()
        query_states = self.q_proj(hidden_states) * self.scaling
        if key_value_states is not None and past_key_value is not None:
            key_states, value_states = past_key_value
        elif key_value_states is not None:
            key_states = self._shape(self.k_proj(key_value_states), -1, bsz)
            value_states = self._shape(self.v_proj(key_value_states), -1, bsz)
        elif past_key_value is not None:
            key_states = torch.cat([past_key_value[0],
                                    self._shape(self.k_proj(hidden_states), -1, bsz)], dim=2)
            value_states = torch.cat([past_key_value[1],
                                      self._shape(self.v_proj(hidden_states), -1, bsz)], dim=2)
        else:
            key_states = self._shape(self.k_proj(hidden_states), -1, bsz)
            value_states = self._shape(self.v_proj(hidden_states), -1, bsz)
        present = (key_states, value_states)
        proj_shape = (bsz * HEADS, -1, self.head_dim)
        query_states = self._shape(query_states, tgt_len, bsz).view(*proj_shape)
        key_states = key_states.reshape(*proj_shape)
        value_states = value_states.reshape(*proj_shape)
        src_len = key_states.size(1)
        weights = torch.bmm(query_states, key_states.transpose(1, 2))
        if mask is not None:
            weights = (weights.view(bsz, HEADS, tgt_len, src_len) + mask).view(
                bsz * HEADS, tgt_len, src_len)
        weights = nn.functional.softmax(weights, dim=-1)
        out = torch.bmm(weights, value_states).view(bsz, HEADS, tgt_len, self.head_dim)
        out = out.transpose(1, 2).reshape(bsz, tgt_len, HIDDEN)
        return self.out_proj(out), present


class WhisperEncoderLayer(nn.Module):
    """Pre-LN, erf GELU."""

    def __init__(self):
        super().__init__()
        self.self_attn, self.self_attn_layer_norm = WhisperAttention(), nn.LayerNorm(HIDDEN)
        self.fc1, self.fc2 = nn.Linear(HIDDEN, FFN), nn.Linear(FFN, HIDDEN)
        self.final_layer_norm = nn.LayerNorm(HIDDEN)

    def forward(self, x):
        x = x + self.self_attn(self.self_attn_layer_norm(x))[0]
        return x + self.fc2(nn.functional.gelu(self.fc1(self.final_layer_norm(x))))


class WhisperDecoderLayer(nn.Module):
    """Pre-LN causal self-attention (with a cache), cross-attention over the
    encoder's states, erf GELU."""

    def __init__(self):
        super().__init__()
        self.self_attn, self.self_attn_layer_norm = WhisperAttention(), nn.LayerNorm(HIDDEN)
        self.encoder_attn, self.encoder_attn_layer_norm = WhisperAttention(), nn.LayerNorm(HIDDEN)
        self.fc1, self.fc2 = nn.Linear(HIDDEN, FFN), nn.Linear(FFN, HIDDEN)
        self.final_layer_norm = nn.LayerNorm(HIDDEN)

    def forward(self, x, mask, encoder_states, self_past=None, cross_past=None):
        h, present = self.self_attn(self.self_attn_layer_norm(x), past_key_value=self_past, mask=mask)
        x = x + h
        x = x + self.encoder_attn(self.encoder_attn_layer_norm(x), key_value_states=encoder_states,
                                  past_key_value=cross_past)[0]
        x = x + self.fc2(nn.functional.gelu(self.fc1(self.final_layer_norm(x))))
        return x, present


def whisper_causal_mask(bsz, tgt_len, past_key_values_length, dtype):
    """Hugging Face's _make_causal_mask: finfo.min above the diagonal of the
    new tokens, the cached keys visible, [B, 1, tgt, past + tgt]."""
    mask = torch.full((tgt_len, tgt_len), torch.finfo(dtype).min)
    mask_cond = torch.arange(mask.size(-1))
    mask.masked_fill_(mask_cond < (mask_cond + 1).view(mask.size(-1), 1), 0)
    mask = mask.to(dtype)
    if past_key_values_length > 0:
        mask = torch.cat([torch.zeros(tgt_len, past_key_values_length, dtype=dtype), mask], dim=-1)
    return mask[None, None, :, :].expand(bsz, 1, tgt_len, tgt_len + past_key_values_length)


class Whisper(nn.Module):
    """Hugging Face's WhisperForConditionalGeneration, small: the encoder
    (two Conv1d + GELU, the second with stride 2, the fixed sinusoidal
    positions, pre-LN layers) over WHISPER_FRAMES frames of WHISPER_MELS
    mel bins, and the decoder (token and learned position embeddings,
    causal self-attention, cross-attention to the encoder, the output
    projection tied to the token embedding): logits for every decoder
    token."""

    inputs = {"input_features": ("mel", {0: "batch"}),
              "decoder_input_ids": ("ids", {0: "batch", 1: "seq"})}
    outputs = {"logits": {0: "batch", 1: "seq"}}

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(WHISPER_MELS, HIDDEN, 3, padding=1)
        self.conv2 = nn.Conv1d(HIDDEN, HIDDEN, 3, stride=2, padding=1)
        self.embed_positions = nn.Embedding(WHISPER_POSITIONS, HIDDEN)
        with torch.no_grad():
            self.embed_positions.weight.copy_(whisper_sinusoids(WHISPER_POSITIONS, HIDDEN))
        self.encoder_layers = nn.ModuleList(WhisperEncoderLayer() for _ in range(LAYERS))
        self.encoder_layer_norm = nn.LayerNorm(HIDDEN)
        self.embed_tokens = nn.Embedding(VOCAB, HIDDEN)
        self.decoder_positions = nn.Embedding(MAX_POS, HIDDEN)
        self.decoder_layers = nn.ModuleList(WhisperDecoderLayer() for _ in range(LAYERS))
        self.decoder_layer_norm = nn.LayerNorm(HIDDEN)

    def encode(self, input_features):
        x = nn.functional.gelu(self.conv1(input_features))
        x = nn.functional.gelu(self.conv2(x)).permute(0, 2, 1)
        x = x + self.embed_positions.weight
        for layer in self.encoder_layers:
            x = layer(x)
        return self.encoder_layer_norm(x)

    def decode(self, input_ids, encoder_states, self_past, cross_past):
        past_length = self_past[0].size(2) if self_past else 0
        x = self.embed_tokens(input_ids) + self.decoder_positions.weight[
            past_length:past_length + input_ids.size(-1)]
        mask = whisper_causal_mask(input_ids.size(0), input_ids.size(-1), past_length, x.dtype)
        presents = []
        for i, layer in enumerate(self.decoder_layers):
            x, present = layer(x, mask, encoder_states,
                               self_past[2 * i:2 * i + 2] if self_past else None,
                               cross_past[2 * i:2 * i + 2] if cross_past else None)
            presents.extend(present)
        return self.decoder_layer_norm(x) @ self.embed_tokens.weight.t(), presents

    def forward(self, input_features, decoder_input_ids):
        return self.decode(decoder_input_ids, self.encode(input_features), None, None)[0]


def whisper_past_signature():
    inputs = {"input_ids": ("ids", {0: "batch", 1: "seq"})}
    outputs = {"logits": {0: "batch", 1: "seq"}}
    for layer in range(LAYERS):
        for name in ("key", "value"):
            inputs["past_decoder_%s_%d" % (name, layer)] = ("cache", {0: "batch", 2: "past"})
    for layer in range(LAYERS):
        for name in ("key", "value"):
            inputs["past_encoder_%s_%d" % (name, layer)] = ("encoder_cache", {0: "batch"})
    for layer in range(LAYERS):
        for name in ("key", "value"):
            outputs["present_decoder_%s_%d" % (name, layer)] = {0: "batch", 2: "past+seq"}
    return inputs, outputs


class WhisperPast(Whisper):
    """Whisper's decoder step with a key/value cache, as Hugging Face's
    decoder with past_key_values runs it: each layer's self-attention keys
    and values [B, H, past, D] grow by the new tokens; its cross-attention
    keys and values [B, H, WHISPER_POSITIONS, D], computed from the encoder
    at the first step, are read as they are. Positions start at past.
    Outputs the logits and the present self-attention keys and values."""

    inputs, outputs = whisper_past_signature()

    def forward(self, input_ids, *past):
        self_past = past[:2 * LAYERS]
        cross_past = past[2 * LAYERS:]
        logits, presents = self.decode(input_ids, None, self_past, cross_past)
        return (logits, *presents)


FAMILIES = {"bert": Bert, "gpt2": Gpt2, "gpt2-past": Gpt2Past, "gpt2-lm": Gpt2Lm, "vit": Vit, "clip-text": ClipText,
            "clip-text-pooled": ClipTextPooled, "longformer-sliced": LongformerSliced,
            "longformer-chunked": LongformerChunked, "longformer-chunked-loop": LongformerChunkedLoop,
            "clip-vision": ClipVision, "clip": Clip, "transformer": EncoderDecoder,
            "blip-text": BlipTextDecoder, "blip-lm": BlipLm, "transformer-lm": TransformerLm, "detr-decoder": DetrDecoder,
            "longformer": Longformer, "swin": Swin, "llama": Llama, "llama-interleaved": LlamaInterleaved,
            "llama-past": LlamaPast, "qformer": QFormer, "vae-decoder": VaeDecoder,
            "detr": Detr, "whisper": Whisper, "whisper-past": WhisperPast,
            "mae": ViTMAE}


def example_inputs(model, batch=3, seq=11, past=6, fully_padded=True, memory=13, image_seq=5,
                   image_size=None):
    """Random inputs for `model.inputs`: the second sequence is padded at
    its end, the third is padding only (every key of its rows is hidden:
    what the graph computes for such rows is part of what is compared),
    unless not `fully_padded`, when it is padded like the second."""
    gen = torch.Generator().manual_seed(1)
    lengths = {"seq": seq, "src_seq": seq + 2, "image_seq": image_seq, "memory_seq": memory,
               "past": past, "past+seq": past + seq}
    tensors = []
    for name, (kind, axes) in model.inputs.items():
        length = lengths[axes.get(1, "seq")]
        if kind == "encoder_cache":
            tensors.append(torch.randn(batch, HEADS, WHISPER_POSITIONS, HIDDEN // HEADS,
                                       generator=gen))
            continue
        if kind == "noise":
            patches = (model.image // model.patch) ** 2
            tensors.append(torch.rand(batch, patches, generator=gen))
            continue
        if kind == "mel":
            tensors.append(torch.randn(batch, WHISPER_MELS, WHISPER_FRAMES, generator=gen))
            continue
        if kind in ("cache", "kv_cache"):
            heads = HEADS if kind == "cache" else KV_HEADS
            tensors.append(torch.randn(batch, heads, lengths[axes[2]], HIDDEN // HEADS,
                                       generator=gen))
            continue
        if kind == "ids":
            tensors.append(torch.randint(2, VOCAB, (batch, length), generator=gen))
        elif kind in ("padding", "bool_padding"):
            mask = torch.ones(batch, length, dtype=torch.long)
            if batch > 1:
                mask[1, length - 2:] = 0
            if batch > 2:
                mask[2, :] = 0 if fully_padded else mask[1]
            tensors.append(mask if kind == "padding" else mask == 0)
        elif kind == "features":
            tensors.append(torch.randn(batch, length, HIDDEN, generator=gen))
        elif kind == "pixel_mask":
            # Images padded to the batch's size: the second at the bottom
            # and right, the third at the right.
            height, width = image_size or (getattr(model, "image", IMAGE),) * 2
            mask = torch.ones(batch, height, width, dtype=torch.long)
            if batch > 1:
                mask[1, height * 3 // 4:, :] = 0
                mask[1, :, width * 5 // 8:] = 0
            if batch > 2:
                mask[2, :, width * 7 // 8:] = 0
            tensors.append(mask)
        elif kind == "latent":
            height, width = image_size or (VAE_LATENT_SIZE, VAE_LATENT_SIZE)
            tensors.append(torch.randn(batch, VAE_LATENT, height, width, generator=gen))
        elif kind == "image":
            height, width = image_size or (getattr(model, "image", IMAGE),) * 2
            tensors.append(torch.randn(batch, CHANNELS, height, width, generator=gen))
    return tuple(tensors)


def given_inputs(model, inputs, ids_path, pixel_paths):
    """The model's inputs with the encoded texts in `ids_path` (one JSON
    object per line, as tessera-tokenize --json prints; padded to the
    longest as a tokenizer pads a batch: id 0, attention mask 0) and the
    prepared images in `pixel_paths` in place of the random ones."""
    import json
    rows = [json.loads(line) for line in open(ids_path)] if ids_path else []
    length = max([len(row["ids"]) for row in rows] or [0])
    tensors = list(inputs)
    for k, (name, (kind, _)) in enumerate(model.inputs.items()):
        if kind == "image" and pixel_paths:
            tensors[k] = torch.cat([torch.from_numpy(np.load(p)) for p in pixel_paths])
            continue
        field = {"input_ids": "ids", "attention_mask": "attention_mask",
                 "token_type_ids": "type_ids"}.get(name)
        if rows and field:
            tensors[k] = torch.tensor([row[field] + [0] * (length - len(row[field]))
                                       for row in rows])
    return tuple(tensors)


def to_half(graph):
    """An f32 export made what model.half() exports: every float tensor,
    value type, Cast target and constant in float16, constants beyond its
    range at finfo(float16) (what finfo(x.dtype).min gives a half model).
    Debian's PyTorch cannot trace model.half() on the CPU (no half
    LayerNorm kernel); the ops traced are the same."""
    from onnx import AttributeProto, TensorProto, numpy_helper
    limit = float(np.finfo(np.float16).max)

    def narrow(tensor):
        values = np.clip(numpy_helper.to_array(tensor), -limit, limit)
        tensor.CopyFrom(numpy_helper.from_array(values.astype(np.float16), tensor.name))

    for tensor in graph.initializer:
        if tensor.data_type == TensorProto.FLOAT:
            narrow(tensor)
    for value in list(graph.input) + list(graph.output) + list(graph.value_info):
        if value.type.tensor_type.elem_type == TensorProto.FLOAT:
            value.type.tensor_type.elem_type = TensorProto.FLOAT16
    for node in graph.node:
        for attribute in node.attribute:
            if node.op_type == "Cast" and attribute.name == "to" and attribute.i == TensorProto.FLOAT:
                attribute.i = TensorProto.FLOAT16
            elif attribute.type == AttributeProto.TENSOR and attribute.t.data_type == TensorProto.FLOAT:
                narrow(attribute.t)
            elif attribute.type == AttributeProto.GRAPH:
                to_half(attribute.g)


def main():
    global VOCAB
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", required=True, choices=sorted(FAMILIES))
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--reference", help="directory for inputs and outputs")
    parser.add_argument("--seq", type=int, default=11, help="tokens in the reference inputs")
    parser.add_argument("--past", type=int, default=6, help="cached tokens (gpt2-past)")
    parser.add_argument("--vocab", type=int, default=VOCAB,
                        help="vocabulary size (a real tokenizer's, to feed it text)")
    parser.add_argument("--ids", help="a JSON file of tessera-tokenize --json lines: the "
                        "reference runs on these texts (padded to the longest) instead")
    parser.add_argument("--pixels", nargs="+", help=".npy files of prepared images "
                        "[1, 3, H, W]: the reference runs on these instead")
    # The other forms exporters write for the same model.
    parser.add_argument("--no-constant-folding", action="store_true",
                        help="export with do_constant_folding=False")
    parser.add_argument("--keep-initializers-as-inputs", action="store_true",
                        help="list the weights among the graph's inputs too")
    parser.add_argument("--external-data", action="store_true",
                        help="keep the weights in a file next to the model, as models over 2 GB must")
    parser.add_argument("--dynamic-image", action="store_true",
                        help="export the image's (or latent's) height and width dynamic too, "
                        "as Hugging Face's and diffusers' ONNX exports declare them")
    parser.add_argument("--image-size", type=int, nargs=2, metavar=("H", "W"),
                        help="the reference images' (or latents') size, if not the traced one")
    parser.add_argument("--half", action="store_true",
                        help="the model as model.half() exports it (see to_half); the reference "
                        "stays f32 and has no fully padded sequence")
    args = parser.parse_args()

    VOCAB = args.vocab
    torch.manual_seed(0)
    model = FAMILIES[args.family]().eval()
    inputs = example_inputs(model, seq=args.seq, past=args.past, fully_padded=not args.half)
    if args.ids or args.pixels:
        inputs = given_inputs(model, inputs, args.ids, args.pixels)
    names = list(model.inputs)
    dynamic = {name: axes for name, (_, axes) in model.inputs.items()}
    if args.dynamic_image:
        image_axes = {"image": {2: "height", 3: "width"}, "latent": {2: "height", 3: "width"},
                      "pixel_mask": {1: "height", 2: "width"}}
        dynamic = {name: {**axes, **image_axes.get(model.inputs[name][0], {})}
                   for name, axes in dynamic.items()}
    outputs = getattr(model, "outputs", {"output": getattr(model, "output_axes", {})})
    dynamic.update(outputs)
    # Exported with gradients enabled: under no_grad, nn.TransformerEncoderLayer
    # takes a fused fast path that has no ONNX export.
    torch.onnx.export(model, inputs, args.output, input_names=names,
                      output_names=list(outputs), dynamic_axes=dynamic,
                      opset_version=args.opset,
                      do_constant_folding=not args.no_constant_folding,
                      keep_initializers_as_inputs=args.keep_initializers_as_inputs)
    if args.half:
        import onnx
        exported = onnx.load(args.output)
        to_half(exported.graph)
        onnx.save(exported, args.output)
    if args.external_data:
        import onnx
        exported = onnx.load(args.output)
        onnx.save_model(exported, args.output, save_as_external_data=True,
                        location=os.path.basename(args.output) + ".data", size_threshold=0)
    if args.image_size:
        inputs = example_inputs(model, seq=args.seq, past=args.past, fully_padded=not args.half,
                                image_size=args.image_size)
    # The reference runs as the export traced the model: with gradients
    # (under no_grad, nn.TransformerEncoderLayer's fast path treats fully
    # padded rows differently from its exported graph).
    if True:
        if args.reference:
            os.makedirs(args.reference, exist_ok=True)
            for name, tensor in zip(names, inputs):
                array = tensor.numpy()
                if args.half and array.dtype == np.float32:
                    array = array.astype(np.float16)
                np.save(os.path.join(args.reference, "input_%s.npy" % name), array)
            results = model(*inputs)
            if not isinstance(results, tuple):
                results = (results,)
            for name, tensor in zip(outputs, results):
                np.save(os.path.join(args.reference, "output_%s.npy" % name),
                        tensor.detach().numpy())


if __name__ == "__main__":
    sys.exit(main())

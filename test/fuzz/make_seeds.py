#!/usr/bin/env python3
"""Small seeds for the tokenizer and image fuzzers.

usage: make_seeds.py tokenizer|image OUT_DIR
"""
import io
import json
import os
import sys


def tokenizers(out):
    byte_level = {"type": "ByteLevel", "add_prefix_space": False,
                  "trim_offsets": True, "use_regex": True}
    bpe = {"type": "BPE", "vocab": {c: i for i, c in enumerate("abcdeĠ")} |
           {"ab": 6, "abc": 7, "Ġa": 8}, "merges": ["a b", "ab c", "Ġ a"]}
    configs = {
        "gpt2": {"model": bpe, "pre_tokenizer": byte_level,
                 "decoder": byte_level, "post_processor": byte_level,
                 "added_tokens": [{"id": 9, "content": "<|endoftext|>",
                                   "special": True}]},
        "bert": {"model": {"type": "WordPiece", "unk_token": "[UNK]",
                           "vocab": {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2,
                                     "hello": 3, "##s": 4, "!": 5}},
                 "normalizer": {"type": "BertNormalizer"},
                 "pre_tokenizer": {"type": "BertPreTokenizer"},
                 "decoder": {"type": "WordPiece"},
                 "post_processor": {"type": "TemplateProcessing",
                                    "single": [{"SpecialToken": {"id": "[CLS]"}},
                                               {"Sequence": {"id": "A"}}],
                                    "pair": [{"Sequence": {"id": "A"}},
                                             {"SpecialToken": {"id": "[SEP]"}},
                                             {"Sequence": {"id": "B", "type_id": 1}}],
                                    "special_tokens": {
                                        "[CLS]": {"id": "[CLS]", "ids": [1], "tokens": ["[CLS]"]},
                                        "[SEP]": {"id": "[SEP]", "ids": [2], "tokens": ["[SEP]"]}}},
                 "truncation": {"max_length": 6}, "padding": {"strategy": {"Fixed": 8}}},
        "clip": {"model": dict(bpe, end_of_word_suffix="</w>", unk_token="a"),
                 "normalizer": {"type": "Sequence", "normalizers": [
                     {"type": "NFC"}, {"type": "Replace", "pattern": {"Regex": "\\s+"},
                                       "content": " "}, {"type": "Lowercase"}]},
                 "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                     {"type": "Split", "pattern": {"Regex": "[\\p{L}]+|[\\p{N}]"},
                      "behavior": "Removed", "invert": True},
                     {"type": "ByteLevel", "add_prefix_space": False, "use_regex": False}]},
                 "post_processor": {"type": "RobertaProcessing", "sep": ["b", 1],
                                    "cls": ["a", 0]}},
        "metaspace": {"model": {"type": "WordLevel", "unk_token": "x",
                                "vocab": {"x": 0, "▁hello": 1}},
                      "pre_tokenizer": {"type": "Metaspace", "replacement": "▁"},
                      "decoder": {"type": "Metaspace"}},
    }
    for name, config in configs.items():
        with open(os.path.join(out, name + ".json"), "w", encoding="utf-8") as f:
            json.dump(config, f, ensure_ascii=False)
    # Byte 1, then a tokenizer_config.json for the fuzzer's vocab.txt.
    settings = {"do_lower_case": False, "strip_accents": True,
                "tokenize_chinese_chars": False, "eos_token": {"content": "[SEP]"}}
    with open(os.path.join(out, "config.bin"), "wb") as f:
        f.write(b"\x01" + json.dumps(settings).encode())


def images(out):
    from PIL import Image
    image = Image.new("RGB", (13, 9))
    for x in range(13):
        for y in range(9):
            image.putpixel((x, y), (x * 19, y * 28, (x * y) % 256))
    for fmt, name in [("PNG", "rgb.png"), ("JPEG", "rgb.jpg"), ("BMP", "rgb.bmp"),
                      ("GIF", "rgb.gif")]:
        image.save(os.path.join(out, name), fmt)
    image.convert("L").save(os.path.join(out, "gray.png"))
    image.convert("L").save(os.path.join(out, "gray.jpg"))
    image.save(os.path.join(out, "progressive.jpg"), progressive=True)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("tokenizer", "image"):
        sys.exit(__doc__)
    {"tokenizer": tokenizers, "image": images}[sys.argv[1]](sys.argv[2])

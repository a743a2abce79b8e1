#!/usr/bin/env python3
"""Writes the corpus test/tokenizers encodes with Tessera and the reference.

Three kinds of lines, 2,400 in all, in a fixed order (a seeded generator):
  - prose: lines of the licence texts every Debian system ships
    (/usr/share/common-licenses);
  - code: lines of Python's standard library as Debian 12 installs it
    (indentation, operators, string escapes);
  - mixed: fragments of many scripts and hazards joined at random: accented
    Latin (precomposed and decomposed), Turkish dotted I, Greek, Cyrillic,
    Arabic, Hebrew, Devanagari, Thai, Chinese, Japanese, Korean, emoji (ZWJ
    sequences, skin tones, flags, keycaps), zero-width and control
    characters, runs of spaces, tabs and Unicode spaces, words longer than
    WordPiece's 100 characters, numbers, URLs, contractions, and the
    tokenizers' own special tokens written in the text.
Also writes PAIRS: for sentence-pair tests, the line after each line.

usage: make_corpus.py LINES PAIRS
"""
import glob
import random
import sys

FRAGMENTS = [
    # Latin with accents, precomposed and decomposed (e + U+0301).
    "Café crème brûlée à la façon de l'été", "Cafe\u0301 de\u0301ja\u0300 vu",
    "Übergrößenträger straße ÄÖÜ äöü ß", "Mañana el niño pidió jalapeños",
    "Żółć gęślą jaźń", "Tiếng Việt có dấu: Nguyễn Phương Thảo",
    "İstanbul'da ılık bir IŞIK", "ŒUVRE œuvre Ǆ ǅ ǆ ﬁ ﬂ",
    # Other scripts.
    "Ελληνικά: ΟΔΥΣΣΕΥΣ ὀδυσσεύς σοφός", "Русский текст: Привет, мир!",
    "العربية: مرحبا بالعالم", "עברית: שלום עולם", "हिन्दी: नमस्ते दुनिया",
    "ภาษาไทย สวัสดีชาวโลก", "中文：你好，世界！机器学习模型",
    "日本語のテキスト、カタカナとひらがな。", "한국어 텍스트: 안녕하세요 세계",
    "𠀀𠀁 𪚥 CJK extension B", "ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３",
    # Emoji.
    "😀 😃 🤖 🦀", "👩‍👩‍👧‍👦 family", "👍🏽 👋🏿", "🇫🇷🇯🇵 flags",
    "1️⃣ #️⃣ keycaps", "❤️ ☺︎ variation selectors", "🥰🫠 newer emoji",
    # Invisible and control characters, odd spaces.
    "zero\u200bwidth\u200cjoin\u200dners", "\ufeffbyte order mark",
    "soft\u00adhyphen", "ctrl\x01\x02chars\x7f", "nbsp\u00a0between",
    "ideographic\u3000space", "line\u2028separator", "next\u0085line",
    "tabs\t\tand\t spaces", "   leading and trailing   ",
    "many          spaces", "\t", " ", "\u2003em\u2002en\u2009thin",
    # Long words, numbers, code-like text.
    "a" * 120, "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3,
    "3.14159 2,718 1e-10 0x1F 1_000_000 ½ ² ①", "https://example.com/a?b=c&d=e#f",
    "user@example.org", "C:\\Windows\\System32", "x += y * (z - 1) // 2",
    "if (a != b && c <= d) { return -1; }", "<div class=\"x\">&amp;</div>",
    "I'm sure they'll say it's what we've done, isn't it? You're right, I'd go.",
    "DON'T SHOUT'S", "e.g. U.S.A. Mr. Smith's", "--- *** ... !!! ???",
    # The tokenizers' special tokens, written in text.
    "<|endoftext|>", "[CLS] [SEP] [MASK] [PAD] [UNK]", "<s> <mask> </s>",
    "<|startoftext|>a photo<|endoftext|>", "word[MASK]word", "a <mask>",
]

SEPARATORS = [" ", " ", " ", "  ", "\t", "", ", ", ". ", "\u3000", " - "]


def mixed(rng):
    parts = rng.sample(FRAGMENTS, rng.randint(1, 5))
    line = ""
    for i, part in enumerate(parts):
        line += (rng.choice(SEPARATORS) if i else "") + part
    if rng.random() < 0.3:
        line = line.upper() if rng.random() < 0.5 else line.title()
    return line


def file_lines(paths):
    lines = []
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines += [l.rstrip("\n") for l in f]
    return lines


def main(lines_path, pairs_path):
    rng = random.Random(20261207)
    prose = file_lines(sorted(glob.glob("/usr/share/common-licenses/GPL-3"))
                       + sorted(glob.glob("/usr/share/common-licenses/Apache-2.0")))
    code = file_lines(sorted(glob.glob("/usr/lib/python3.11/textwrap.py"))
                      + sorted(glob.glob("/usr/lib/python3.11/json/*.py")))
    if len(prose) < 800 or len(code) < 600:
        sys.exit("make_corpus.py: the Debian files it reads are missing "
                 "(common-licenses, python3.11)")
    lines = prose[:800] + code[:600] + [mixed(rng) for _ in range(1000)]
    rng.shuffle(lines)
    # One line per text: no newline inside a line.
    lines = [l.replace("\n", " ").replace("\r", " ") for l in lines]
    with open(lines_path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    with open(pairs_path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines[1:] + lines[:1]) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])

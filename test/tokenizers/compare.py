#!/usr/bin/env python3
"""Compares tessera-tokenize --json with reference.js, line by line.

Every field must be equal: ids, type ids, attention and special-token
masks, offsets (Tessera's bytes converted to the reference's code points)
and the decoded text. Prints each differing line (the first 10) and exits 1
if any differ.

usage: compare.py LINES [PAIRS] OURS.jsonl REFERENCE.jsonl
"""
import json
import sys


def code_point_offsets(text, offsets):
    """Byte offsets into `text`'s UTF-8 → code point offsets."""
    data = text.encode("utf-8")
    # starts[i]: the code points that begin before byte i.
    starts = [0]
    for i in range(1, len(data) + 1):
        starts.append(starts[-1] + (1 if (data[i - 1] & 0xC0) != 0x80 else 0))
    return [[starts[b], starts[e]] for b, e in offsets]


def main(argv):
    if len(argv) not in (4, 5):
        sys.exit(__doc__)
    lines_path, pairs_path = argv[1], argv[2] if len(argv) == 5 else None
    ours_path, reference_path = argv[-2], argv[-1]
    read = lambda p: open(p, encoding="utf-8").read().rstrip("\n").split("\n")
    lines = read(lines_path)
    pairs = read(pairs_path) if pairs_path else None
    ours = [json.loads(l) for l in read(ours_path)]
    reference = [json.loads(l) for l in read(reference_path)]
    if not (len(lines) == len(ours) == len(reference)):
        sys.exit(f"compare.py: {len(lines)} lines, {len(ours)} of ours, "
                 f"{len(reference)} of the reference")
    failures = 0
    for i, (mine, theirs) in enumerate(zip(ours, reference)):
        # A token's offsets are in its own sequence's text.
        converted = []
        for k, span in enumerate(mine["offsets"]):
            text = pairs[i] if pairs and mine["sequence_ids"][k] == 1 else lines[i]
            converted += code_point_offsets(text, [span])
        mine = dict(mine, offsets=converted)
        fields = [f for f in ("ids", "type_ids", "attention_mask",
                              "special_tokens_mask", "offsets", "decoded")
                  if mine[f] != theirs[f]]
        if fields:
            failures += 1
            if failures <= 10:
                print(f"line {i + 1}: {lines[i]!r}")
                for f in fields:
                    print(f"  {f}:\n    ours      {mine[f]}\n    reference {theirs[f]}")
    print(f"{len(lines) - failures} of {len(lines)} lines identical "
          f"(ids, type ids, masks, offsets, decoded text)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

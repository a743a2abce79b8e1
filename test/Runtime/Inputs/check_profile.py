#!/usr/bin/env python3
"""Test helper: checks `tessera-run --profile` output for consistency.

    check_profile.py OUTPUT.txt DISPATCHES

The per-dispatch times must be non-negative, add up to the printed total,
and that total (a sum of per-dispatch medians) must not exceed the slowest
profiled run's queue time (submit to fence) by more than rounding; the kind
shares must add up to 100 %. Prints "profile ok" or what is wrong.
"""
import re
import sys

text = open(sys.argv[1]).read()
expected = int(sys.argv[2])
runs = [float(m) for m in re.findall(r"^run \d+: ([0-9.]+) ms", text, re.M)]
rows = re.findall(r"^\s+(\d+)\s+([0-9.]+)\s+([0-9.]+)%\s+(\S.*)$", text, re.M)
total = float(re.search(r"^\s+total ([0-9.]+) ms", text, re.M).group(1))
kinds = re.findall(r"^\s+([a-z_]+)\s+([0-9.]+) ms\s+([0-9.]+)%$", text, re.M)
problems = []
if len(rows) != expected:
    problems.append("%d dispatch rows, expected %d" % (len(rows), expected))
times = [float(r[1]) for r in rows]
if any(t < 0 for t in times):
    problems.append("a negative time")
if abs(sum(times) - total) > 0.002 * len(times) + 1e-3:
    problems.append("rows add up to %.3f ms, total says %.3f" % (sum(times), total))
profiled = runs[1:] if len(runs) > 1 else runs
if total <= 0 or total > max(profiled) + 0.05:
    problems.append("total %.3f ms against runs %s" % (total, profiled))
if abs(sum(float(k[2]) for k in kinds) - 100) > 0.2 * len(kinds):
    problems.append("kind shares add up to %s" % sum(float(k[2]) for k in kinds))
print("profile ok" if not problems else "; ".join(problems))

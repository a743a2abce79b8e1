#!/usr/bin/env python3
"""The shared runtime's ABI surface: it exports every function the public C
headers declare, and nothing else (no C++ of the runtime, no SPIRV-Tools).

    check_exports.py LIBRARY.so INCLUDE_DIR/tessera
"""
import os
import re
import subprocess
import sys


def declared(include_dir):
    names = set()
    for name in sorted(os.listdir(include_dir)):
        if not name.endswith(".h"):
            continue
        text = open(os.path.join(include_dir, name)).read()
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        names |= set(re.findall(r"\b(tessera_[a-z0-9_]+)\s*\(", text))
    return names


def exported(library):
    out = subprocess.run(["nm", "-D", "--defined-only", library], check=True,
                         capture_output=True, text=True).stdout
    symbols = set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] in "TtWwDdBbRr":
            symbols.add(fields[2].split("@")[0])
    return symbols


def main():
    library, include_dir = sys.argv[1:3]
    want, have = declared(include_dir), exported(library)
    missing, extra = sorted(want - have), sorted(have - want)
    print(f"{library}: {len(have)} symbols exported, {len(want)} declared")
    if missing:
        print("declared but not exported:", ", ".join(missing))
    if extra:
        print("exported but not declared:", ", ".join(extra[:20]),
              "..." if len(extra) > 20 else "")
    return 1 if missing or extra or not want else 0


if __name__ == "__main__":
    sys.exit(main())

"""Compiled models kept by content: InferenceSession compiles a model once
and finds the .tsr again in the cache folder ($TESSERA_CACHE_DIR, else
~/.cache/tessera; binaries under models/)."""

import hashlib
import os

from . import _tessera


def cache_folder() -> str:
    root = os.environ.get("TESSERA_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "tessera")
    return os.path.join(root, "models")


def _external_files(model_path: str, data: bytes) -> list:
    """(name, size, mtime) of the files beside the model whose names the
    model mentions: its external data, whose change must miss the cache."""
    folder = os.path.dirname(os.path.abspath(model_path))
    found = []
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return found
    for name in names:
        path = os.path.join(folder, name)
        if (path != os.path.abspath(model_path) and os.path.isfile(path)
                and name.encode() in data):
            status = os.stat(path)
            found.append((name, status.st_size, status.st_mtime_ns))
    return found


def key(data: bytes, model_path: str, options: dict) -> str:
    """What the binary depends on: the model's bytes and external data, the
    compile options, and the compiler (version and git revision)."""
    digest = hashlib.sha256()
    digest.update(_tessera.version_text().encode())
    digest.update(repr(sorted(options.items())).encode())
    digest.update(repr(_external_files(model_path, data)).encode())
    digest.update(data)
    return digest.hexdigest()[:32]


def compiled(model, options: dict, compile_function) -> str:
    """The path of `model` compiled with `options`: from the cache, or
    compiled now (by `compile_function(model, output, **options)`) and
    stored there atomically."""
    if isinstance(model, (bytes, bytearray, memoryview)):
        data, path = bytes(model), options.get("name") or "model.onnx"
    else:
        path = os.fspath(model)
        with open(path, "rb") as file:
            data = file.read()
    folder = cache_folder()
    os.makedirs(folder, exist_ok=True)
    target = os.path.join(folder, key(data, path, options) + ".tsr")
    if not os.path.exists(target):
        compile_function(model, target, **options)
    return target

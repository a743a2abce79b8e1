"""Tessera from Python: compile transformer models to .tsr binaries and run
them on any Vulkan device (on the CPU through Mesa's lavapipe).

    import tessera
    tsr = tessera.compile("bert.onnx", dims={"seq": (1, 128)})
    session = tessera.Session(tsr)
    outputs = session.run({"input_ids": ids, "attention_mask": mask})

A script written for ONNX Runtime changes one line:
``tessera.InferenceSession("model.onnx")`` compiles on first use and keeps
the binary in a cache (see tessera.onnxruntime).

Errors are exceptions derived from tessera.Error: CompileError (carrying
the compiler's diagnostics, as tessera-compile prints them),
InvalidInputError, InvalidModelError and DeviceError.
"""

import os
import tempfile
from typing import NamedTuple, Optional, Tuple, Union

import numpy as np

from . import _tessera
from ._tessera import (CompileError, DeviceError, Error, InvalidInputError,
                       InvalidModelError)

__version__ = _tessera.version()

__all__ = [
    "CompileError", "DeviceError", "Error", "InferenceSession",
    "InvalidInputError", "InvalidModelError", "Session", "TensorInfo",
    "compile", "devices", "version_text",
]


def version_text() -> str:
    """Version, git revision and .tsr format, as the tools' --version say."""
    return _tessera.version_text()


def devices(validation: bool = False) -> list:
    """The Vulkan devices the runtime can run on, as dicts (name, type,
    subgroup_size, max_storage_buffer_range, fp16, ..., and `default`: the
    one a Session picks without `device`)."""
    return _tessera.devices(validation)


def _dim_entries(dims) -> list:
    """{"seq": (1, 512), "batch": 1} -> ["seq=1:512", "batch=1"]."""
    entries = []
    for name, bound in (dims or {}).items():
        if isinstance(bound, (int, np.integer)):
            entries.append(f"{name}={int(bound)}")
        elif (isinstance(bound, (tuple, list)) and len(bound) == 2 and
              all(isinstance(b, (int, np.integer)) for b in bound)):
            entries.append(f"{name}={int(bound[0])}:{int(bound[1])}")
        else:
            raise TypeError(f"dims[{name!r}] must be N or (MIN, MAX), "
                            f"not {bound!r}")
    return entries


def compile(model, output=None, *, dims=None, target: str = "lavapipe",
            precision: str = "f32", weights: Optional[str] = None,
            tokenizer=None, image_processor=None,
            input_format: Optional[str] = None,
            name: Optional[str] = None):
    """Compiles a model as tessera-compile does.

    model: a path (.onnx, .onnxtxt, .mlir) or the model's bytes (ONNX
        unless `input_format` says otherwise; `name` names them in
        messages, and external data files are looked up beside it).
    output: a path to write the .tsr to; None returns its bytes.
    dims: bounds of named dynamic dimensions, {"seq": (1, 512)} or
        {"batch": 1} (tessera-compile --dim); unnamed ones get the defaults
        tessera-compile chooses.
    target, precision ("f32" | "f16"), weights ("int8" | "int4[:GROUP]"),
    tokenizer (a directory), image_processor (a file or directory): the
        flags of the same names.

    Raises CompileError with the compiler's diagnostics.
    """
    if not _tessera.has_compiler:
        raise Error("this build of Tessera has no compiler "
                    "(TESSERA_BUILD_COMPILER=OFF); compile with a full "
                    "build and load the .tsr")
    if isinstance(model, (bytes, bytearray, memoryview)):
        data, path = bytes(model), name or "model.onnx"
    else:
        data, path = None, os.fspath(model)
    tsr = _tessera.compile(
        path, data, input_format or "", target, precision, weights or "",
        _dim_entries(dims), os.fspath(tokenizer) if tokenizer else "",
        os.fspath(image_processor) if image_processor else "")
    if output is None:
        return tsr
    _write_atomically(os.fspath(output), tsr)
    return os.fspath(output)


def _write_atomically(path: str, data: bytes) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


class TensorInfo(NamedTuple):
    """An input or output: its name, numpy dtype and shape, where a dynamic
    axis is its expression over the named dims ("seq", "past + seq")."""
    name: str
    dtype: np.dtype
    shape: Tuple[Union[int, str], ...]


class Session:
    """A compiled model loaded onto a device.

    tsr: a .tsr path or its bytes (loaded from memory). device: an index or a name substring
    ("llvmpipe", "nvidia"); None picks as tessera-run does ($TESSERA_DEVICE,
    else the first real GPU, else lavapipe). validation: the Khronos
    validation layer. trust_kernels: skip the SPIR-V checks at load.
    """

    def __init__(self, tsr, device: Optional[Union[int, str]] = None, *,
                 validation: bool = False, trust_kernels: bool = False):
        selector = None if device is None else str(device)
        if isinstance(tsr, (bytearray, memoryview)):
            tsr = bytes(tsr)
        self._program = _tessera.Program(tsr, selector, validation,
                                         trust_kernels)

    @staticmethod
    def _infos(entries) -> list:
        return [TensorInfo(e["name"], np.dtype(e["dtype"]), e["shape"])
                for e in entries]

    @property
    def inputs(self) -> list:
        return self._infos(self._program.inputs)

    @property
    def outputs(self) -> list:
        return self._infos(self._program.outputs)

    @property
    def dims(self) -> dict:
        """Each named dynamic dimension's compiled bounds: {"seq": (1, 512)}."""
        return self._program.dims

    @property
    def device(self) -> str:
        return self._program.device

    @property
    def last_run_seconds(self) -> float:
        return self._program.last_run_seconds

    @property
    def validation_messages(self) -> int:
        """Warnings and errors the validation layer reported so far (0
        without `validation`); each is printed as it happens."""
        return self._program.validation_messages

    def describe(self) -> str:
        """Signature, device needs and schedule (tessera-run --info)."""
        return self._program.describe()

    def run(self, feeds: dict, outputs=None) -> dict:
        """Runs with `feeds` ({input name: array}); returns {output name:
        array} for every output, or for the names in `outputs`.

        Arrays of the input's dtype and C order go to the runtime without a
        copy; integer ids of any integer type are taken as int32 (refused
        if a value does not fit). A wrong name, dtype, rank, or a size
        beyond the compiled bounds raises InvalidInputError.
        """
        return self._program.run(feeds, None if outputs is None
                                 else list(outputs))

    def profile(self, feeds: dict) -> list:
        """Runs once with device timestamps; per dispatch, a dict of its
        kind, fused ops and device seconds."""
        return self._program.profile(feeds)


from .onnxruntime import InferenceSession  # noqa: E402  (uses the above)

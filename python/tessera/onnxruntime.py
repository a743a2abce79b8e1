"""ONNX Runtime's InferenceSession, on Tessera: a script written for ONNX
Runtime changes its import or one line,

    session = tessera.InferenceSession("model.onnx")      # was ort.Infer...
    logits, = session.run(None, {"input_ids": ids})

The model is compiled on first use (dynamic dimensions bounded as
tessera-compile bounds them without --dim, or by `dims`) and the .tsr kept
in the cache folder by content hash, so later sessions load it at once.
Differences from ONNX Runtime: inputs the model reads as 32-bit integers
(token ids) report `tensor(int32)` and take any integer array; session and
run options are accepted and ignored; execution providers are Vulkan
devices, chosen by `device`.
"""

from typing import Optional

import numpy as np

from . import _cache

_ONNX_TYPES = {np.dtype("float32"): "tensor(float)",
               np.dtype("float16"): "tensor(float16)",
               np.dtype("int32"): "tensor(int32)",
               np.dtype("bool"): "tensor(bool)"}


class NodeArg:
    """An input or output as ONNX Runtime describes it."""

    def __init__(self, info):
        self.name = info.name
        self.shape = list(info.shape)
        self.type = _ONNX_TYPES.get(info.dtype, str(info.dtype))

    def __repr__(self):
        return (f"NodeArg(name={self.name!r}, type={self.type!r}, "
                f"shape={self.shape!r})")


class InferenceSession:
    """path_or_bytes: an ONNX model. dims, target, precision, weights:
    as tessera.compile. device: as tessera.Session."""

    def __init__(self, path_or_bytes, sess_options=None, providers=None,
                 provider_options=None, *, dims: Optional[dict] = None,
                 target: str = "lavapipe", precision: str = "f32",
                 weights: Optional[str] = None, device=None):
        from . import Session, compile
        options = {"dims": dims, "target": target, "precision": precision,
                   "weights": weights}
        self._model_path = _cache.compiled(path_or_bytes, options, compile)
        self._session = Session(self._model_path, device)

    def get_inputs(self) -> list:
        return [NodeArg(info) for info in self._session.inputs]

    def get_outputs(self) -> list:
        return [NodeArg(info) for info in self._session.outputs]

    def get_providers(self) -> list:
        return ["TesseraVulkanExecutionProvider"]

    @property
    def tsr_path(self) -> str:
        """Where the compiled binary lies (in the cache folder)."""
        return self._model_path

    def run(self, output_names, input_feed: dict, run_options=None) -> list:
        """The outputs named (all, in the model's order, for None)."""
        names = ([info.name for info in self._session.outputs]
                 if output_names is None else list(output_names))
        results = self._session.run(input_feed, names)
        missing = [name for name in names if name not in results]
        if missing:
            from . import InvalidInputError
            raise InvalidInputError(
                f"the model has no output {missing[0]!r}; its outputs are "
                + ", ".join(repr(i.name) for i in self._session.outputs))
        return [results[name] for name in names]

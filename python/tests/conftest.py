"""Shared fixtures: small models exported by PyTorch (test/models/families.py,
the families the lit tests run) with PyTorch's outputs beside them."""

import os
import subprocess
import sys

import numpy as np
import pytest

SOURCE_DIR = os.environ.get(
    "TESSERA_SOURCE_DIR",
    os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
FAMILIES = os.path.join(SOURCE_DIR, "test", "models", "families.py")


@pytest.fixture(scope="session")
def export(tmp_path_factory):
    """export(family, **flags) -> (model.onnx, {input: array}, {output:
    PyTorch's array}), each family exported once per session."""
    done = {}

    def run(family, opset=17):
        key = (family, opset)
        if key not in done:
            folder = tmp_path_factory.mktemp(f"{family}-{opset}")
            model = folder / "model.onnx"
            subprocess.run([sys.executable, FAMILIES, "--family", family,
                            "--opset", str(opset), "-o", str(model),
                            "--reference", str(folder / "ref")], check=True)
            inputs, outputs = {}, {}
            for name in sorted(os.listdir(folder / "ref")):
                kind, _, rest = name.partition("_")
                array = np.load(folder / "ref" / name)
                (inputs if kind == "input" else outputs)[rest[:-4]] = array
            done[key] = (model, inputs, outputs)
        return done[key]

    return run


def relative_error(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    finite = np.isfinite(want)
    assert (np.isnan(got) == np.isnan(want)).all()
    scale = max(np.abs(want[finite]).max(), 1e-30)
    return np.abs(got[finite] - want[finite]).max() / scale

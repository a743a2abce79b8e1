"""The Python package against PyTorch: compile and run the test models'
families from Python, the ONNX Runtime-shaped session and its cache, and
the exceptions (with the compiler's and the runtime's messages)."""

import os

import numpy as np
import pytest

import tessera
from conftest import relative_error

# f32 against PyTorch, relative to the output's largest magnitude: what the
# lit tests of the same families hold (test/models).
TOLERANCE = 1e-5


def test_version():
    # CTest runs these on the installed package, not the source folder.
    expected = os.environ.get("TESSERA_EXPECT_PACKAGE_IN")
    if expected:
        assert os.path.realpath(tessera.__file__).startswith(
            os.path.realpath(expected))
    assert tessera.__version__.count(".") == 2
    assert tessera.version_text().startswith("Tessera " + tessera.__version__)


def test_devices_has_a_default():
    devices = tessera.devices()
    assert devices, "no Vulkan device (lavapipe is installed by setup.sh)"
    assert sum(d["default"] for d in devices) == 1
    assert all(d["name"] and d["subgroup_size"] > 0 for d in devices)


# Text, image, encoder-decoder and decoding with a key/value cache: each
# compiled and run from Python, against PyTorch.
@pytest.mark.parametrize("family", ["bert", "gpt2", "vit", "transformer",
                                    "gpt2-past"])
def test_compile_and_run_matches_pytorch(export, family, tmp_path):
    model, inputs, want = export(family)
    path = tessera.compile(model, tmp_path / "model.tsr",
                           dims={"batch": (1, 4)})
    assert path == str(tmp_path / "model.tsr")
    session = tessera.Session(path, validation=True)
    assert {i.name for i in session.inputs} == set(inputs)
    assert session.dims["batch"] == (1, 4)
    got = session.run(inputs)
    assert set(got) == set(want)
    for name in want:
        assert got[name].shape == want[name].shape
        assert relative_error(got[name], want[name]) <= TOLERANCE
    assert session.validation_messages == 0


def test_signature_names_dynamic_axes(export):
    model, _, _ = export("bert")
    session = tessera.Session(tessera.compile(model, dims={"seq": (1, 64)}))
    ids = session.inputs[0]
    assert ids.dtype == np.int32 and ids.shape == ("batch", "seq")
    assert session.outputs[0].shape[:2] == ("batch", "seq")
    assert session.dims["seq"] == (1, 64)


def test_compile_from_bytes_equals_compile_from_path(export):
    model, _, _ = export("bert")
    assert tessera.compile(model.read_bytes()) == tessera.compile(model)


def test_profile_covers_every_dispatch(export):
    model, inputs, _ = export("bert")
    session = tessera.Session(tessera.compile(model, dims={"batch": 3}))
    rows = session.profile(inputs)
    # Two layers of at least five dispatches each (test/models pins them).
    assert len(rows) >= 10
    assert [row["dispatch"] for row in rows] == list(range(len(rows)))
    assert all(row["seconds"] >= 0 and row["kind"] for row in rows)
    assert {"matmul", "attention"} <= {row["kind"] for row in rows}


def test_inference_session_is_onnxruntime_shaped(export, tmp_path,
                                                 monkeypatch):
    monkeypatch.setenv("TESSERA_CACHE_DIR", str(tmp_path / "cache"))
    model, inputs, want = export("gpt2")
    session = tessera.InferenceSession(str(model), dims={"batch": (1, 4)})
    assert {i.name for i in session.get_inputs()} == set(inputs)
    assert session.get_inputs()[0].type == "tensor(int32)"
    # int64 ids, as tokenizers give them to ONNX Runtime.
    feeds = {k: v.astype(np.int64) for k, v in inputs.items()}
    output, = session.run(None, feeds)
    assert relative_error(output, want["output"]) <= TOLERANCE
    assert session.run(["output"], feeds)[0].shape == output.shape

    # The second session finds the binary by content, without compiling.
    def no_compile(*args, **kwargs):
        raise AssertionError("compiled again")
    monkeypatch.setattr(tessera, "compile", no_compile)
    again = tessera.InferenceSession(str(model), dims={"batch": (1, 4)})
    assert again.tsr_path == session.tsr_path
    assert os.path.dirname(session.tsr_path) == str(tmp_path / "cache" /
                                                    "models")
    # Other options are another binary.
    with pytest.raises(AssertionError, match="compiled again"):
        tessera.InferenceSession(str(model), dims={"batch": (1, 2)})


def test_compile_error_carries_the_diagnostics(tmp_path):
    import onnx
    from onnx import TensorProto, helper
    node = helper.make_node("NonMaxSuppression", ["boxes", "scores"], ["out"],
                            name="nms")
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info("boxes", TensorProto.FLOAT, [1, 4, 4]),
         helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 1, 4])],
        [helper.make_tensor_value_info("out", TensorProto.INT64, [1, 3])])
    path = tmp_path / "nms.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 17)]), path)
    with pytest.raises(tessera.CompileError,
                       match=r"nms.onnx: error: .* does not import:\n"
                             r"  NonMaxSuppression \(node 'nms'\)"):
        tessera.compile(path)
    with pytest.raises(tessera.CompileError, match="not a valid ONNX model"):
        tessera.compile(b"not a model")
    with pytest.raises(tessera.CompileError, match="--weights=int3"):
        tessera.compile(path, weights="int3")
    with pytest.raises(tessera.CompileError, match="cannot read"):
        tessera.compile(tmp_path / "missing.onnx")
    with pytest.raises(TypeError, match="dims"):
        tessera.compile(path, dims={"seq": "long"})


def test_run_errors_name_the_input(export):
    model, inputs, _ = export("bert")
    session = tessera.Session(tessera.compile(model, dims={"batch": (1, 4),
                                                           "seq": (1, 16)}))
    with pytest.raises(tessera.InvalidInputError, match="no input 'ids'"):
        session.run({"ids": inputs["input_ids"]})
    with pytest.raises(tessera.InvalidInputError,
                       match="'attention_mask' is float64"):
        session.run({**inputs, "attention_mask":
                     inputs["attention_mask"].astype(np.float64)})
    with pytest.raises(tessera.InvalidInputError, match="outside int32"):
        session.run({**inputs, "input_ids":
                     inputs["input_ids"].astype(np.int64) + 2**40})
    long_ids = np.ones((1, 40), np.int64)
    with pytest.raises(tessera.InvalidInputError, match="--dim seq="):
        session.run({"input_ids": long_ids,
                     "attention_mask": np.ones((1, 40), np.int64)})
    # The session still runs after refusing.
    assert session.run(inputs)


def test_corrupted_binary_is_refused(export, tmp_path):
    model, _, _ = export("bert")
    data = bytearray(tessera.compile(model))
    data[len(data) // 2] ^= 0xFF
    with pytest.raises(tessera.InvalidModelError, match="checksum"):
        tessera.Session(bytes(data))
    with pytest.raises(tessera.InvalidModelError):
        tessera.Session(tmp_path / "missing.tsr")


def test_threads_share_a_session(export):
    # A run releases the GIL; the session runs one thread at a time.
    import threading
    model, inputs, want = export("bert")
    session = tessera.Session(tessera.compile(model, dims={"batch": 3}))
    results, errors = [], []

    def work():
        try:
            for _ in range(3):
                results.append(session.run(inputs)["output"])
        except Exception as error:  # reported below, with the thread's
            errors.append(error)
    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(results) == 12
    for output in results:
        assert relative_error(output, want["output"]) <= TOLERANCE

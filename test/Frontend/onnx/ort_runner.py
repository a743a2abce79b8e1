"""A model run in ONNX Runtime (onnxruntime-node, found through NODE_PATH),
for the scripts that check Tessera or their numpy references against it by
hand (fused_ops.py --ort, quantized_ops.py --ort). CI has no ONNX Runtime.
"""
import json
import os
import subprocess

import numpy as np

ORT_RUN = """
const ort = require('onnxruntime-node'); const fs = require('fs');
const arrays = {float32: Float32Array, int32: Int32Array, int64: BigInt64Array, bool: Uint8Array};
(async () => {
  const [model, manifest] = process.argv.slice(1);
  const spec = JSON.parse(fs.readFileSync(manifest));
  const feeds = {};
  for (const [name, type, shape, file] of spec.inputs) {
    const buf = fs.readFileSync(file);
    const data = new arrays[type](buf.buffer, buf.byteOffset, buf.length / arrays[type].BYTES_PER_ELEMENT);
    feeds[name] = new ort.Tensor(type, data, shape);
  }
  const s = await ort.InferenceSession.create(model, {graphOptimizationLevel: spec.level});
  const results = await s.run(feeds);
  for (const [name, file] of spec.outputs) {
    const data = results[name].data;
    fs.writeFileSync(file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
})().catch(e => { console.error(e.message); process.exit(1); });
"""


def ort_outputs(work, name, model, feeds, outputs, level="disabled"):
    """The named `outputs` (name: numpy dtype) of `model` run in ONNX Runtime
    on `feeds` (name: array) at graph optimization `level`, as arrays in
    that order; or the error ONNX Runtime gave, as a string."""
    spec = {"inputs": [], "outputs": [], "level": level}
    for input_name, x in feeds.items():
        file = os.path.join(work, "%s_ort_%s.bin" % (name, input_name))
        (x.astype(np.uint8) if x.dtype == bool else x).tofile(file)
        spec["inputs"].append([input_name, "bool" if x.dtype == bool else str(x.dtype),
                               list(x.shape), file])
    for output_name in outputs:
        spec["outputs"].append([output_name,
                                os.path.join(work, "%s_ort_%s.bin" % (name, output_name))])
    manifest = os.path.join(work, name + "_ort.json")
    with open(manifest, "w") as f:
        json.dump(spec, f)
    result = subprocess.run(["node", "-e", ORT_RUN, model, manifest], capture_output=True,
                            text=True)
    if result.returncode:
        return result.stderr.strip()
    return [np.fromfile(file, dtype) for (_, file), dtype in zip(spec["outputs"],
                                                                 outputs.values())]

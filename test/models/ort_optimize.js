// Writes the graph ONNX Runtime optimises a model into, as a user does
// with its session option optimizedModelFilePath:
//   node ort_optimize.js IN.onnx OUT.onnx [basic|extended|all]
// onnxruntime-node comes from npm (npm install --ignore-scripts
// onnxruntime-node; NODE_PATH names the node_modules folder).
const ort = require('onnxruntime-node');
const [input, output, level] = process.argv.slice(2);
ort.InferenceSession.create(input, {
  graphOptimizationLevel: level || 'all',
  optimizedModelFilePath: output,
}).catch((e) => {
  console.error(e.message);
  process.exit(1);
});

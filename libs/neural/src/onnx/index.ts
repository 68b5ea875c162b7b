// @ballast/neural/onnx: the onnxruntime-node adapter, an entry of its own so that the main entry
// installs and type-checks without an ML runtime (onnxruntime-node is an optional peer).
export {
  OnnxModelLoader,
  executionProvidersFor,
  type OnnxModelLoaderOptions,
  type OnnxModelSource,
} from './onnx-model.loader.js';
export type {
  OnnxExecution,
  OnnxFeeds,
  OnnxInputInfo,
  OnnxModel,
  OnnxOutputs,
  OnnxTensorData,
} from './onnx-model.interface.js';
export {
  encodeMlpModel,
  mlpForward,
  mlpLayersForBytes,
  mlpWeightBytes,
  mlpWeights,
  type MlpSpec,
  type MlpWeights,
} from './mlp-model.js';

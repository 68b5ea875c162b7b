import { ProtoWriter } from './protobuf.writer.js';

/** A multi-layer perceptron: Gemm (x·W + b) per layer, Relu between layers, none after the last. */
export interface MlpSpec {
  /** Widths from input to output, e.g. `[16, 64, 4]`: two Gemm layers. */
  readonly layers: readonly number[];
  /** Seed of the deterministic weights: the same spec always gives the same model. */
  readonly seed?: number;
  readonly inputName?: string;
  readonly outputName?: string;
}

export interface MlpWeights {
  /** Per layer `in * out` row-major weights and `out` biases. */
  readonly layers: readonly {
    readonly weights: Float32Array;
    readonly bias: Float32Array;
    readonly in: number;
    readonly out: number;
  }[];
}

/** mulberry32: small, fast and deterministic; quality does not matter for test weights. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function mlpWeights(spec: MlpSpec): MlpWeights {
  if (spec.layers.length < 2 || spec.layers.some((w) => !Number.isInteger(w) || w < 1)) {
    throw new RangeError(`An MLP needs at least two positive integer widths, got [${spec.layers.join(', ')}]`);
  }
  const next = random(spec.seed ?? 1);
  const layers = [];
  for (let i = 0; i + 1 < spec.layers.length; i++) {
    const fanIn = spec.layers[i]!;
    const fanOut = spec.layers[i + 1]!;
    // Scaled so activations neither vanish nor explode through many layers.
    const scale = 2 / Math.sqrt(fanIn);
    const weights = new Float32Array(fanIn * fanOut);
    for (let j = 0; j < weights.length; j++) weights[j] = (next() - 0.5) * scale;
    const bias = new Float32Array(fanOut);
    for (let j = 0; j < fanOut; j++) bias[j] = (next() - 0.5) * 0.1;
    layers.push({ weights, bias, in: fanIn, out: fanOut });
  }
  return { layers };
}

/** Bytes of the weights and biases of an MLP: what the encoded model weighs, give or take a few hundred bytes. */
export function mlpWeightBytes(layers: readonly number[]): number {
  let params = 0;
  for (let i = 0; i + 1 < layers.length; i++) params += layers[i]! * layers[i + 1]! + layers[i + 1]!;
  return params * 4;
}

/**
 * Widths of an MLP whose weights take about `bytes`: `input -> width -> ... -> width -> output`
 * with as many square hidden layers as it takes.
 */
export function mlpLayersForBytes(
  bytes: number,
  options: { input?: number; output?: number; width?: number } = {},
): number[] {
  const input = options.input ?? 16;
  const output = options.output ?? 4;
  const width = options.width ?? (bytes >= 4 * 1024 * 1024 ? 512 : bytes >= 256 * 1024 ? 128 : 32);
  const layers = [input, width];
  while (mlpWeightBytes([...layers, output]) + (width * width + width) * 4 <= bytes) layers.push(width);
  layers.push(output);
  return layers;
}

const FLOAT = 1;
const ATTRIBUTE_FLOAT = 1;
const ATTRIBUTE_INT = 2;

function tensor(writer: ProtoWriter, name: string, dims: readonly number[], data: Float32Array): void {
  writer.packedInts(1, dims).int(2, FLOAT).string(8, name);
  writer.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

function valueInfo(writer: ProtoWriter, name: string, width: number): void {
  writer.string(1, name).message(2, (type) =>
    type.message(1, (tensorType) =>
      tensorType.int(1, FLOAT).message(2, (shape) => {
        shape.message(1, (dim) => dim.string(2, 'batch'));
        shape.message(1, (dim) => dim.int(1, width));
      }),
    ),
  );
}

/** Encodes an MLP as an ONNX model (IR 8, opset 13): input `[batch, layers[0]]`, output `[batch, last]`. */
export function encodeMlpModel(spec: MlpSpec): Uint8Array {
  const inputName = spec.inputName ?? 'input';
  const outputName = spec.outputName ?? 'output';
  const { layers } = mlpWeights(spec);
  const model = new ProtoWriter();
  model.int(1, 8).string(2, 'ballast-neural');
  model.message(7, (graph) => {
    let current = inputName;
    layers.forEach((layer, i) => {
      const last = i === layers.length - 1;
      const gemmOut = last ? outputName : `gemm_${i}`;
      graph.message(1, (node) => {
        node.string(1, current).string(1, `w_${i}`).string(1, `b_${i}`).string(2, gemmOut);
        node.string(3, `gemm_${i}`).string(4, 'Gemm');
        node.message(5, (a) => a.string(1, 'alpha').float(2, 1).int(20, ATTRIBUTE_FLOAT));
        node.message(5, (a) => a.string(1, 'transB').int(3, 0).int(20, ATTRIBUTE_INT));
      });
      current = gemmOut;
      if (!last) {
        graph.message(1, (node) =>
          node.string(1, gemmOut).string(2, `relu_${i}`).string(3, `relu_${i}`).string(4, 'Relu'),
        );
        current = `relu_${i}`;
      }
    });
    graph.string(2, 'mlp');
    layers.forEach((layer, i) => {
      graph.message(5, (t) => tensor(t, `w_${i}`, [layer.in, layer.out], layer.weights));
      graph.message(5, (t) => tensor(t, `b_${i}`, [layer.out], layer.bias));
    });
    graph.message(11, (v) => valueInfo(v, inputName, layers[0]!.in));
    graph.message(12, (v) => valueInfo(v, outputName, layers.at(-1)!.out));
  });
  model.message(8, (opset) => opset.string(1, '').int(2, 13));
  return model.finish();
}

/** The same MLP computed in plain TypeScript, to check what a runtime returns. */
export function mlpForward(spec: MlpSpec, input: Float32Array, batch: number): Float32Array {
  const { layers } = mlpWeights(spec);
  let x = input;
  layers.forEach((layer, index) => {
    const y = new Float32Array(batch * layer.out);
    for (let b = 0; b < batch; b++) {
      for (let o = 0; o < layer.out; o++) {
        let sum = layer.bias[o]!;
        for (let i = 0; i < layer.in; i++) sum += x[b * layer.in + i]! * layer.weights[i * layer.out + o]!;
        y[b * layer.out + o] = index < layers.length - 1 && sum < 0 ? 0 : sum;
      }
    }
    x = y;
  });
  return x;
}

/** A tensor as plain data, the same in the main thread and across a worker boundary. */
export interface OnnxTensorData {
  /** ONNX element type; `float32` by default. */
  readonly type?: 'float32' | 'float64' | 'int32' | 'int64' | 'uint8' | 'int8' | 'bool';
  readonly data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;
  readonly dims: readonly number[];
}

export type OnnxFeeds = Readonly<Record<string, OnnxTensorData>>;
export type OnnxOutputs = Record<string, OnnxTensorData>;

export type OnnxExecution = 'inline' | 'worker';

export interface OnnxInputInfo {
  readonly name: string;
  readonly type?: string;
  /** Numbers for fixed dimensions, names for symbolic ones (e.g. `batch`). */
  readonly shape?: readonly (number | string)[];
}

/** A loaded ONNX model, whichever thread its session lives on. */
export interface OnnxModel {
  readonly name: string;
  readonly execution: OnnxExecution;
  readonly inputs: readonly OnnxInputInfo[];
  readonly outputNames: readonly string[];
  run(feeds: OnnxFeeds): Promise<OnnxOutputs>;
}

/** Zero feeds of batch 1 for every tensor input: what a warm-up runs. */
export function zeroFeeds(inputs: readonly OnnxInputInfo[]): OnnxFeeds | undefined {
  const feeds: Record<string, OnnxTensorData> = {};
  for (const input of inputs) {
    if (input.type !== undefined && input.type !== 'float32') return undefined;
    const dims = (input.shape ?? []).map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    if (dims.length === 0) return undefined;
    feeds[input.name] = { type: 'float32', data: new Float32Array(dims.reduce((a, b) => a * b, 1)), dims };
  }
  return feeds;
}

import { encodeMlpModel, mlpLayersForBytes } from '@ballast/neural/onnx';

/** The demo's models, made in code at start-up: nothing is downloaded. */
export interface DemoModel {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly bytes: Uint8Array;
}

const MB = 1024 * 1024;
const INPUT = 16;

export function buildModelCatalog(): ReadonlyMap<string, DemoModel> {
  const make = (layers: number[], seed: number): DemoModel => ({
    inputSize: layers[0]!,
    outputSize: layers[layers.length - 1]!,
    bytes: encodeMlpModel({ layers, seed }),
  });
  return new Map([
    ['sentiment', make([INPUT, 64, 64, 3], 1)],
    ['ranker', make(mlpLayersForBytes(4 * MB, { input: INPUT, output: 4 }), 2)],
  ]);
}

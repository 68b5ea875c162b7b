/** @jest-environment ./libs/neural/jest-onnx.environment.mjs */
import { describe, expect, it } from '@jest/globals';
import * as ort from 'onnxruntime-node';

import { encodeMlpModel, mlpForward, mlpLayersForBytes, mlpWeightBytes } from './mlp-model.js';

describe('MLP model writer', () => {
  it('writes a model onnxruntime runs, with the outputs of the TypeScript reference', async () => {
    const spec = { layers: [8, 16, 16, 3], seed: 7 };
    const session = await ort.InferenceSession.create(encodeMlpModel(spec));
    try {
      const batch = 5;
      const input = Float32Array.from({ length: batch * 8 }, (_, i) => Math.sin(i));
      const result = await session.run({ input: new ort.Tensor('float32', input, [batch, 8]) });
      const output = result.output!;
      expect(output.dims).toEqual([batch, 3]);
      const expected = mlpForward(spec, input, batch);
      const actual = output.data as Float32Array;
      expect(actual.length).toBe(expected.length);
      for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, 4);
      expect(new Set(actual).size).toBeGreaterThan(1);
    } finally {
      await session.release();
    }
  });

  it('is deterministic per seed and differs between seeds', () => {
    const a = encodeMlpModel({ layers: [4, 4, 2], seed: 1 });
    expect(Buffer.from(encodeMlpModel({ layers: [4, 4, 2], seed: 1 })).equals(Buffer.from(a))).toBe(true);
    expect(Buffer.from(encodeMlpModel({ layers: [4, 4, 2], seed: 2 })).equals(Buffer.from(a))).toBe(false);
  });

  it('sizes a model to a byte target', () => {
    for (const target of [100_000, 1_000_000, 2 * 1024 * 1024]) {
      const layers = mlpLayersForBytes(target);
      const bytes = mlpWeightBytes(layers);
      expect(bytes).toBeLessThanOrEqual(target);
      expect(bytes).toBeGreaterThan(target * 0.8);
      expect(encodeMlpModel({ layers }).length).toBeGreaterThanOrEqual(bytes);
    }
  });

  it('rejects an MLP without layers', () => {
    expect(() => encodeMlpModel({ layers: [4] })).toThrow(/at least two/);
  });
});

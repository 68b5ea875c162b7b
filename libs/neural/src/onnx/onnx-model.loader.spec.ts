/** @jest-environment ./libs/neural/jest-onnx.environment.mjs */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { ModelCache } from '../model-cache.js';
import { encodeMlpModel, mlpForward, type MlpSpec } from './mlp-model.js';
import { executionProvidersFor, OnnxModelLoader } from './onnx-model.loader.js';
import type { OnnxExecution } from './onnx-model.interface.js';

const specs: Record<string, MlpSpec> = {
  small: { layers: [8, 32, 4], seed: 1 },
  other: { layers: [8, 16, 16, 4], seed: 2 },
};
const models = Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, encodeMlpModel(spec)]));

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, 4);
}

describe.each<OnnxExecution>(['inline', 'worker'])('OnnxModelLoader (%s execution)', (execution) => {
  it('loads models through the cache and returns the reference outputs', async () => {
    const loader = new OnnxModelLoader({ resolve: ({ name }) => models[name]!, execution });
    const cache = new ModelCache(loader, { maxModels: 4 });
    try {
      for (const name of ['small', 'other']) {
        await using lease = await cache.getOrLoad(name);
        expect(lease.model.execution).toBe(execution);
        expect(lease.model.inputs[0]).toMatchObject({ name: 'input', type: 'float32', shape: ['batch', 8] });
        const input = Float32Array.from({ length: 3 * 8 }, (_, i) => Math.cos(i));
        const out = await lease.model.run({ input: { data: input, dims: [3, 8] } });
        expect(out.output!.dims).toEqual([3, 4]);
        expectClose(out.output!.data as Float32Array, mlpForward(specs[name]!, input, 3));
      }
      expect(cache.models().map((m) => m.weightsBytes)).toEqual([models.small!.length, models.other!.length]);
      const [small] = cache.models();
      expect(small!.totalBytes).toBe(Math.ceil(models.small!.length * 2.5));
      expect(small!.chargedBytes).toBe(small!.totalBytes);
    } finally {
      await cache.close();
    }
  });

  it('fails the load of a model that is not ONNX and counts it', async () => {
    const loader = new OnnxModelLoader({ resolve: () => Uint8Array.from([1, 2, 3, 4]), execution });
    const cache = new ModelCache(loader, { failedLoadTtlMs: 0 });
    await expect(cache.getOrLoad('broken')).rejects.toThrow();
    expect(cache.stats().loadFailures).toBe(1);
    await cache.close();
  });
});

describe('OnnxModelLoader with model files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ballast-neural-'));
    await writeFile(join(dir, 'small.onnx'), models.small!);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('predicts the size from the file and loads it by path', async () => {
    const loader = new OnnxModelLoader({ resolve: ({ name }) => join(dir, `${name}.onnx`) });
    // Charged: the file size times the runtime's memory factor (2.5 by default).
    expect(await loader.predictBytes({ name: 'small', device: 'cpu' })).toBe(Math.ceil(models.small!.length * 2.5));
    const exact = new OnnxModelLoader({ resolve: ({ name }) => join(dir, `${name}.onnx`), memoryFactor: 1 });
    expect(await exact.predictBytes({ name: 'small', device: 'cpu' })).toBe(models.small!.length);
    expect(() => new OnnxModelLoader({ resolve: () => '', memoryFactor: 0.5 })).toThrow(/memoryFactor/);
    const cache = new ModelCache(loader);
    const out = await cache.withModel('small', (model) =>
      model.run({ input: { data: new Float32Array(8), dims: [1, 8] } }),
    );
    expectClose(out.output!.data as Float32Array, mlpForward(specs.small!, new Float32Array(8), 1));
    await cache.close();
  });

  it('maps devices to execution providers with CPU as the fallback', () => {
    expect(executionProvidersFor('cpu')).toEqual(['cpu']);
    expect(executionProvidersFor('cuda')).toEqual(['cuda', 'cpu']);
    expect(executionProvidersFor('cuda:1')).toEqual([{ name: 'cuda', deviceId: 1 }, 'cpu']);
  });
});

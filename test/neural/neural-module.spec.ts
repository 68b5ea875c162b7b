/** @jest-environment ./libs/neural/jest-onnx.environment.mjs */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from '@jest/globals';
import {
  BallastCoreModule,
  HealthContributorRegistry,
  METRICS_REGISTRY,
  PerformanceService,
  type MetricsRegistry,
} from '@ballast/core';
import { expectNoOpenHandlesAfter } from '@ballast/core/testing';
import { ModelCache, NeuralModule, neuralOptions, NeuralService, type NeuralModuleOptions } from '@ballast/neural';
import { encodeMlpModel, mlpForward, OnnxModelLoader, type MlpSpec, type OnnxModel } from '@ballast/neural/onnx';
import { FakeModelLoader } from '@ballast/neural/testing';
import { RESOURCE_TRACKER, ResourceTrackerModule, type ResourceTracker } from '@ballast/tracker';
import { Body, Controller, Module, Param, Post, type INestApplication } from '@nestjs/common';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import request from 'supertest';

const specs: Record<string, MlpSpec> = {
  ranker: { layers: [4, 16, 2], seed: 11 },
  scorer: { layers: [4, 8, 8, 2], seed: 12 },
};
const bytes = Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, encodeMlpModel(spec)]));

/** The route the demo serves, written the way the demo would. */
@Controller('models')
class PredictController {
  constructor(private readonly neural: NeuralService) {}

  @Post(':name/predict')
  async predict(@Param('name') name: string, @Body() body: { input: number[][] }) {
    const batch = body.input.length;
    const data = Float32Array.from(body.input.flat());
    const out = await this.neural.predict(name, { input: { data, dims: [batch, data.length / batch] } });
    return { output: Array.from(out.output!.data as Float32Array) };
  }
}

@Module({ controllers: [PredictController] })
class PredictModule {}

async function start(options: NeuralModuleOptions, schedule = true): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      BallastCoreModule.forRoot({ metrics: { defaultMetrics: false } }),
      ...(schedule ? [ScheduleModule.forRoot()] : []),
      NeuralModule.forRoot(options),
      PredictModule,
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

const onnxLoader = (execution: 'inline' | 'worker') =>
  new OnnxModelLoader({ resolve: ({ name }) => bytes[name]!, execution });

describe('NeuralModule', () => {
  it('serves POST /models/:name/predict through the cache, with metrics, health and report', async () => {
    const app = await start({ loader: onnxLoader('worker'), maxModels: 4, resultCache: { enabled: true } });
    try {
      const input = [
        [1, 2, 3, 4],
        [0.5, -1, 0, 2],
      ];
      const res = await request(app.getHttpServer()).post('/models/ranker/predict').send({ input }).expect(201);
      const expected = mlpForward(specs.ranker!, Float32Array.from(input.flat()), 2);
      (res.body.output as number[]).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 4));
      await request(app.getHttpServer()).post('/models/ranker/predict').send({ input }).expect(201);
      await request(app.getHttpServer()).post('/models/scorer/predict').send({ input }).expect(201);

      const cache = app.get(ModelCache);
      expect(cache.stats()).toMatchObject({ models: 2, loads: 2 });
      expect(app.get(NeuralService).results!.stats().hits).toBe(1);
      const ranker = cache.models().find((m) => m.name === 'ranker')!;
      expect(ranker.weightsBytes).toBe(bytes.ranker!.length);
      expect(ranker.cacheBytes).toBeGreaterThan(0);

      const metrics = await app.get<MetricsRegistry>(METRICS_REGISTRY).metrics();
      expect(metrics).toMatch(/ballast_neural_model_loads_total\{model="ranker@cpu"\} 1/);
      expect(metrics).toMatch(/ballast_neural_bytes\{state="capacity"\} \d+/);
      expect(metrics).toMatch(/ballast_neural_model_bytes\{model="scorer@cpu",kind="weights"\} \d+/);

      const checks = app
        .get(HealthContributorRegistry)
        .list('readiness')
        .map((c) => c.name);
      expect(checks).toContain('neural:models');
      const report = await app.get(PerformanceService).report();
      const models = JSON.stringify(report);
      expect(models).toContain('ranker@cpu');
      expect(app.get(SchedulerRegistry).doesExist('interval', 'ballast-neural-cleanup')).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('releases every session and worker on close, after leases drain: no handle left', async () => {
    await expectNoOpenHandlesAfter(async () => {
      const app = await start({ loader: onnxLoader('worker'), warmUp: ['ranker', { name: 'scorer', pin: true }] });
      const cache = app.get<ModelCache<OnnxModel>>(ModelCache);
      expect(cache.models().map((m) => m.state)).toEqual(['ready', 'ready']);
      const lease = await cache.getOrLoad('ranker');
      const closing = app.close();
      // The session is not released under a lease holder: its run still succeeds while closing.
      const out = await lease.model.run({ input: { data: new Float32Array(4), dims: [1, 4] } });
      expect(out.output!.data.length).toBe(2);
      lease.release();
      await closing;
      expect(cache.chargedBytes()).toBe(0);
    });
  });

  it('shows its sessions and worker threads to the tracker as long-lived NeuralModule resources', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        BallastCoreModule.forRoot({ metrics: { defaultMetrics: false } }),
        ResourceTrackerModule.forRoot({ signals: { pollIntervalMs: 0 } }),
        NeuralModule.forRoot({ loader: onnxLoader('worker'), warmUp: ['ranker'] }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const tracker = app.get<ResourceTracker>(RESOURCE_TRACKER);
    try {
      const held = tracker
        .list({ owner: 'NeuralModule' })
        .filter((r) => r.type !== 'timer')
        .map((r) => [r.type, r.longLived, r.details?.model]);
      expect(held.sort()).toEqual([
        ['model-session', true, 'ranker@cpu'],
        ['worker', true, 'ranker@cpu'],
      ]);
      // One record per thread: the worker signal's record was refined, not duplicated.
      expect(tracker.list({ type: 'worker' })).toHaveLength(1);
      await app.get<ModelCache<OnnxModel>>(ModelCache).unload('ranker');
      expect(tracker.list({ owner: 'NeuralModule' }).map((r) => r.type)).toEqual(['timer']);
    } finally {
      await app.close();
    }
  });

  it('runs without ScheduleModule, using a private scheduler, and still closes cleanly', async () => {
    await expectNoOpenHandlesAfter(async () => {
      const loader = new FakeModelLoader({ a: 10 });
      const app = await start({ loader, idleTtlMs: 1 }, false);
      (await app.get(ModelCache).getOrLoad('a')).release();
      await app.close();
      expect(loader.disposals).toEqual(['a']);
    });
  });

  it('supports forRootAsync', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        BallastCoreModule.forRoot({}),
        NeuralModule.forRootAsync({ useFactory: () => ({ loader: onnxLoader('inline'), maxBytes: 1024 * 1024 }) }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const out = await app
        .get(NeuralService)
        .predict('scorer', { input: { data: new Float32Array(8), dims: [2, 4] } });
      expect(out.output!.dims).toEqual([2, 2]);
      expect(app.get(ModelCache).options.maxBytes).toBe(1024 * 1024);
    } finally {
      await app.close();
    }
  });

  it('stops start-up on a bad option, naming module, option, value and what is allowed', async () => {
    const failure = await start({ loader: new FakeModelLoader(), maxModels: 0 }).catch((e: unknown) => e);
    expect(String((failure as Error).message)).toMatch(/NeuralModule/);
    expect(String((failure as Error).message)).toMatch(/maxModels/);
    expect(String((failure as Error).message)).toMatch(/0/);
    expect(() => neuralOptions.parse({})).toThrow(/modelDir/);
  });

  it('with only modelDir, reads <modelDir>/<name>.onnx through the default ONNX loader', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ballast-neural-dir-'));
    try {
      await writeFile(join(dir, 'ranker.onnx'), bytes.ranker!);
      const app = await start({ modelDir: dir, memoryFactor: 1 });
      try {
        const input = Float32Array.from([1, 2, 3, 4]);
        const out = await app.get(NeuralService).predict('ranker', { input: { data: input, dims: [1, 4] } });
        const expected = mlpForward(specs.ranker!, input, 1);
        Array.from(out.output!.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 4));
        expect(app.get(ModelCache).chargedBytes()).toBe(bytes.ranker!.length);
        await expect(
          app.get(NeuralService).predict('missing', { input: { data: input, dims: [1, 4] } }),
        ).rejects.toThrow(/ENOENT/);
      } finally {
        await app.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads its options from the environment', () => {
    const env: Record<string, string> = {
      NEURAL_MAX_MODELS: '3',
      NEURAL_MAX_BYTES: '1048576',
      NEURAL_EXECUTION: 'worker',
      NEURAL_MODEL_DIR: '/models',
      NEURAL_WARM_UP: 'a,b',
      NEURAL_RESULT_CACHE: 'true',
    };
    const parsed = neuralOptions.parse(neuralOptions.fromEnv({ get: (name) => env[name] }));
    expect(parsed).toMatchObject({
      maxModels: 3,
      maxBytes: 1_048_576,
      execution: 'worker',
      modelDir: '/models',
      warmUp: ['a', 'b'],
      resultCache: { enabled: true },
    });
  });
});

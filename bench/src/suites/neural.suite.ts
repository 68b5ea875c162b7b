/**
 * @ballast/neural against what a service does without it: onnxruntime-node sessions created per
 * use and dropped without `release()` (unmanaged), or kept in a model-count-bounded LRU (the way
 * Ray Serve multiplexing bounds replicas). Memory cases run in child processes of their own so
 * each figure is one process's RSS; they import the built `@ballast/neural` (dist).
 */
import { execFile } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { ModelCache } from '@ballast/neural';
import {
  encodeMlpModel,
  mlpLayersForBytes,
  OnnxModelLoader,
  type OnnxFeeds,
  type OnnxModel,
} from '@ballast/neural/onnx';
import { FakeModelLoader, type FakeModel } from '@ballast/neural/testing';
import * as ort from 'onnxruntime-node';

import { compareOps, costResult, opsResult, rateResult, type BenchResult, type BenchSuite } from '../harness.js';

const exec = promisify(execFile);
const MB = 1024 * 1024;
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const sessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };

/** Runs an ES module source in a fresh `node` (from the repo root, so `@ballast/neural` resolves to dist). */
async function child<T>(source: string, args: readonly (string | number)[]): Promise<T> {
  const { stdout } = await exec(
    process.execPath,
    ['--expose-gc', '--input-type=module', '-e', source, '--', ...args.map(String)],
    { cwd: repo, maxBuffer: 64 * MB },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as T;
}

const PRELUDE = `
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelCache } from '@ballast/neural';
import { encodeMlpModel, mlpLayersForBytes, OnnxModelLoader } from '@ballast/neural/onnx';
const MB = 1024 * 1024;
const args = process.argv.slice(1);
const dir = mkdtempSync(join(tmpdir(), 'ballast-bench-'));
const sessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };
let peak = 0;
const sample = () => { peak = Math.max(peak, process.memoryUsage().rss); };
const sampler = setInterval(sample, 5);
const done = (out) => { clearInterval(sampler); rmSync(dir, { recursive: true, force: true }); console.log(JSON.stringify(out)); };
`;

/** Load/run cycles alternating two names; `managed` through a one-model cache, else create/run and drop. */
const CYCLES = `${PRELUDE}
const [mode, cyclesArg, bytesArg, batchArg] = args;
const cycles = Number(cyclesArg), batch = Number(batchArg);
const path = join(dir, 'm.onnx');
writeFileSync(path, encodeMlpModel({ layers: Number(bytesArg) > 0 ? mlpLayersForBytes(Number(bytesArg)) : [16, 32, 4], seed: 3 }));
const feeds = () => ({ input: new ort.Tensor('float32', new Float32Array(batch * 16), [batch, 16]) });
gc();
const baseline = process.memoryUsage().rss;
const rss = [], heap = [];
const cache = new ModelCache(new OnnxModelLoader({ resolve: () => path, sessionOptions }), { maxModels: 1, idleTtlMs: 0 });
const started = performance.now();
for (let i = 1; i <= cycles; i++) {
  if (mode === 'managed') {
    await cache.withModel(i % 2 ? 'a' : 'b', (m) => m.run({ input: { data: new Float32Array(batch * 16), dims: [batch, 16] } }));
  } else {
    const session = await ort.InferenceSession.create(path, sessionOptions);
    await session.run(feeds());
  }
  sample();
  if (i % Math.max(1, Math.floor(cycles / 20)) === 0 && i > cycles * 0.2) {
    gc();
    rss.push([i / 1000, process.memoryUsage().rss / MB]);
    heap.push([i / 1000, process.memoryUsage().heapUsed / MB]);
  }
}
const ms = performance.now() - started;
await cache.close();
gc();
done({ baselineMb: baseline / MB, peakMb: peak / MB, endMb: process.memoryUsage().rss / MB, ms, rss, heap });
`;

/** Random loads over 40 models; `bytes`: our byte bound; `count`: LRU of N models (Ray Serve style). */
const BOUND = `${PRELUDE}
const [mode, loadsArg, capMbArg, minMbArg, maxMbArg] = args;
const loads = Number(loadsArg), cap = Number(capMbArg) * MB, minMb = Number(minMbArg), maxMb = Number(maxMbArg);
for (let i = 0; i < 40; i++) {
  const size = Math.round((minMb + ((i * 7919) % 40) * ((maxMb - minMb) / 39)) * MB);
  writeFileSync(join(dir, 'm' + i + '.onnx'), encodeMlpModel({ layers: mlpLayersForBytes(size), seed: i }));
}
const input = { input: { data: new Float32Array(16), dims: [1, 16] } };
const warm = new ModelCache(new OnnxModelLoader({ resolve: () => join(dir, 'm0.onnx'), sessionOptions }));
await warm.withModel('m0', (m) => m.run(input));
await warm.close();
gc();
const baseline = process.memoryUsage().rss;
peak = baseline;
const loader = new OnnxModelLoader({ resolve: ({ name }) => join(dir, name + '.onnx'), sessionOptions, memoryFactor: mode === 'bytes' ? 2.5 : 1 });
const cache = new ModelCache(loader, mode === 'bytes'
  ? { maxBytes: cap, maxModels: 40, loadConcurrency: 2, idleTtlMs: 0 }
  : { maxBytes: Number.MAX_SAFE_INTEGER, maxModels: Math.max(1, Math.floor(cap / (maxMb * MB))), loadConcurrency: 1, idleTtlMs: 0 });
let seed = 42;
const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
const zipf = []; let total = 0;
for (let i = 1; i <= 40; i++) { total += 1 / i; zipf.push(total); }
const pick = () => { const r = next() * total; return zipf.findIndex((c) => c >= r); };
let maxCharged = 0;
const caller = async (count) => { for (let i = 0; i < count; i++) {
  const lease = await cache.getOrLoad('m' + pick());
  try { maxCharged = Math.max(maxCharged, cache.chargedBytes()); await lease.model.run(input); } finally { lease.release(); }
} };
await Promise.all([0, 1, 2, 3].map(() => caller(loads / 4)));
const stats = cache.stats();
await cache.close();
done({ baselineMb: baseline / MB, peakMb: peak / MB, hitRate: stats.hitRate, loads: stats.loads, peakChargedBytes: stats.peakChargedBytes, maxCharged, cap });
`;

function slope(points: readonly [number, number][]): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return num / den;
}

/** Zipf(s) over `n` items, deterministic. */
function zipfTrace(n: number, length: number, s: number): number[] {
  const cdf: number[] = [];
  let total = 0;
  for (let i = 1; i <= n; i++) cdf.push((total += 1 / i ** s));
  let seed = 7;
  const next = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
  return Array.from({ length }, () => {
    const r = next() * total;
    return cdf.findIndex((c) => c >= r);
  });
}

async function hitRates(quick: boolean): Promise<BenchResult[]> {
  const sizes: Record<string, number> = {};
  // 40 models of 1–50 MB, sizes unrelated to popularity.
  for (let i = 0; i < 40; i++) sizes[`m${i}`] = Math.round((1 + ((i * 7919) % 40) * (49 / 39)) * MB);
  const trace = zipfTrace(40, quick ? 5_000 : 50_000, 1.1);
  const run = async (cache: ModelCache<FakeModel>): Promise<number> => {
    for (const i of trace) (await cache.getOrLoad(`m${i}`)).release();
    const rate = cache.stats().hitRate;
    await cache.close();
    return rate;
  };
  const out: BenchResult[] = [];
  // 256 MB holds a fifth of the 1 GB catalogue; 512 MB is where capacity allows a 70% hit rate.
  for (const capMb of [256, 512]) {
    const cap = capMb * MB;
    const slots = Math.floor(cap / (50 * MB));
    const ours = await run(new ModelCache(new FakeModelLoader(sizes), { maxBytes: cap, maxModels: 40, idleTtlMs: 0 }));
    const peer = await run(
      new ModelCache(new FakeModelLoader(sizes), {
        maxBytes: Number.MAX_SAFE_INTEGER,
        maxModels: slots,
        idleTtlMs: 0,
      }),
    );
    out.push(
      rateResult({
        case: `Zipf(1.1) trace, 40 models of 1–50 MB, ${capMb} MB`,
        metric: 'hit_rate',
        ours,
        peer: `count-bounded LRU (Ray Serve style, ${slots} models = ${capMb} MB / 50 MB)`,
        peerValue: peer,
        note: `${trace.length} requests; a count bound must assume every model is the largest; sizes charged as on disk`,
      }),
    );
  }
  return out;
}

async function cycleRate(ctx: { quick: boolean; rounds: number }): Promise<BenchResult[]> {
  const bytes = encodeMlpModel({ layers: [16, 32, 4], seed: 5 });
  const cache = new ModelCache(new OnnxModelLoader({ resolve: () => bytes, sessionOptions }), {
    maxModels: 1,
    idleTtlMs: 0,
    warmUpOnLoad: false,
  });
  const feeds: OnnxFeeds = { input: { data: new Float32Array(16), dims: [1, 16] } };
  let n = 0;
  const stats = await compareOps(
    {
      ours: () => cache.withModel(n++ % 2 ? 'a' : 'b', (m) => m.run(feeds)),
      raw: async () => {
        const session = await ort.InferenceSession.create(bytes, sessionOptions);
        await session.run({ input: new ort.Tensor('float32', new Float32Array(16), [1, 16]) });
        await session.release();
      },
    },
    { rounds: ctx.quick ? 3 : Math.min(ctx.rounds, 8), timeMs: 300, warmupMs: 300 },
  );
  await cache.close();
  return [
    opsResult({
      case: 'load/run/evict cycle, small model',
      ours: stats.ours.opsPerSec,
      peer: 'onnxruntime-node create/run/release by hand',
      peerValue: stats.raw.opsPerSec,
      note: 'the price of single-flight, accounting and leases on top of the same session work',
    }),
  ];
}

async function workerMode(quick: boolean): Promise<BenchResult[]> {
  const bytes = encodeMlpModel({ layers: mlpLayersForBytes(50 * MB), seed: 9 });
  const feeds: OnnxFeeds = { input: { data: new Float32Array(32 * 16), dims: [32, 16] } };
  const measure = async (execution: 'inline' | 'worker') => {
    const cache = new ModelCache<OnnxModel>(new OnnxModelLoader({ resolve: () => bytes, execution }), {
      maxBytes: 1024 * MB,
    });
    const lease = await cache.getOrLoad('m');
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    const until = performance.now() + (quick ? 1_500 : 5_000);
    let runs = 0;
    histogram.enable();
    while (performance.now() < until) {
      await lease.model.run(feeds);
      runs++;
      // A real server interleaves requests; without this the inline loop would never yield.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    histogram.disable();
    const seconds = (quick ? 1_500 : 5_000) / 1000;
    lease.release();
    await cache.close();
    return { p99Ms: histogram.percentile(99) / 1e6, runsPerSec: runs / seconds };
  };
  const inline = await measure('inline');
  const worker = await measure('worker');
  return [
    costResult({
      case: 'event-loop delay p99, batch-32 inference on a 50 MB model',
      metric: 'p99_ms',
      ours: worker.p99Ms,
      peer: 'onnxruntime-node run() inline',
      peerValue: inline.p99Ms,
      note: 'ours = worker execution',
    }),
    opsResult({
      case: 'batch-32 inference throughput, 50 MB model',
      ours: worker.runsPerSec,
      peer: 'onnxruntime-node run() inline',
      peerValue: inline.runsPerSec,
      note: 'ours = worker execution; ratio < 1 is the cost of keeping the loop free',
    }),
  ];
}

interface CycleOut {
  baselineMb: number;
  peakMb: number;
  endMb: number;
  ms: number;
  rss: [number, number][];
  heap: [number, number][];
}

async function memory(quick: boolean, log: (m: string) => void): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const bigCycles = quick ? 6 : 30;
  log(`50 MB model, ${bigCycles} cycles, managed vs unmanaged`);
  const ours = await child<CycleOut>(CYCLES, ['managed', bigCycles, 50 * MB, 32]);
  const peer = await child<CycleOut>(CYCLES, ['unmanaged', bigCycles, 50 * MB, 32]);
  out.push(
    costResult({
      case: `peak RSS, ${bigCycles} load/run cycles of a 50 MB model (batch 32)`,
      metric: 'peak_rss_mb',
      ours: ours.peakMb,
      peer: 'onnxruntime-node without release()',
      peerValue: peer.peakMb,
      note: `whole process; baseline ${ours.baselineMb.toFixed(0)} MB`,
    }),
  );
  const soakCycles = quick ? 2_000 : 10_000;
  log(`soak, ${soakCycles} cycles of a small model`);
  const soak = await child<CycleOut>(CYCLES, ['managed', soakCycles, 0, 1]);
  const leak = await child<CycleOut>(CYCLES, ['unmanaged', soakCycles, 0, 1]);
  out.push(
    costResult({
      case: `RSS slope over ${soakCycles} load/run/evict cycles, small model`,
      metric: 'mb_per_1000_cycles',
      // A flat line can fit a slightly negative slope; floor it so the ratio stays defined.
      ours: Math.max(0.01, slope(soak.rss)),
      peer: 'onnxruntime-node without release()',
      peerValue: Math.max(0.01, slope(leak.rss)),
      note: `heap slope ours ${slope(soak.heap).toFixed(3)} MB/1000; issue bounds: RSS < 0.5, heap < 0.1`,
    }),
  );
  const [loads, capMb, minMb, maxMb] = quick ? [200, 64, 0.25, 12.5] : [500, 256, 1, 50];
  log(`byte bound, ${loads} loads over 40 models of ${minMb}–${maxMb} MB, cap ${capMb} MB`);
  interface BoundOut {
    baselineMb: number;
    peakMb: number;
    hitRate: number;
    peakChargedBytes: number;
    cap: number;
  }
  const bytes = await child<BoundOut>(BOUND, ['bytes', loads, capMb, minMb, maxMb]);
  const count = await child<BoundOut>(BOUND, ['count', loads, capMb, minMb, maxMb]);
  out.push(
    costResult({
      case: `RSS growth, ${loads} Zipf loads over 40 models of ${minMb}–${maxMb} MB, cap ${capMb} MB`,
      metric: 'rss_growth_mb',
      ours: bytes.peakMb - bytes.baselineMb,
      peer: 'count-bounded LRU (Ray Serve style)',
      peerValue: count.peakMb - count.baselineMb,
      note: `issue bound 1.5 x cap + 64 = ${1.5 * capMb + 64} MB; peak charged ${(bytes.peakChargedBytes / MB).toFixed(1)} MB of ${capMb}`,
    }),
    rateResult({
      case: `hit rate, same ${loads} loads`,
      metric: 'hit_rate',
      ours: bytes.hitRate,
      peer: 'count-bounded LRU (Ray Serve style)',
      peerValue: count.hitRate,
      note: 'ours charges 2.5 x file size (measured ORT resident factor), so fewer models fit than bytes on disk suggest',
    }),
  );
  return out;
}

const suite: BenchSuite = {
  name: 'neural',
  description: 'model cache: hit rate, load/evict rate, worker mode, memory vs unmanaged onnxruntime-node',
  async run(ctx) {
    ctx.log('hit rate on a Zipf trace');
    const results = [...(await hitRates(ctx.quick))];
    ctx.log('load/evict cycles per second');
    results.push(...(await cycleRate(ctx)));
    ctx.log('worker vs inline execution');
    results.push(...(await workerMode(ctx.quick)));
    results.push(...(await memory(ctx.quick, (m) => ctx.log(m))));
    return results;
  },
};

export default suite;

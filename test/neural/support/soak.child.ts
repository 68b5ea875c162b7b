/**
 * Run in a child process by memory.spec.ts (and by the benchmark with full-size figures):
 * load/run/evict cycles through a ModelCache, printing one JSON line of RSS/heap samples.
 *   argv: <mode: small|large> <cycles> <warmUp> <every> [modelBytes]
 */
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { ModelCache } from '@ballast/neural';
import { encodeMlpModel, mlpLayersForBytes, OnnxModelLoader } from '@ballast/neural/onnx';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MB = 1024 * 1024;

const [mode = 'small', cyclesArg = '1000', warmUpArg = '100', everyArg = '100', bytesArg = String(50 * MB)] =
  process.argv.slice(2);
const cycles = Number(cyclesArg);
const warmUp = Number(warmUpArg);
const every = Number(everyArg);
// The model goes to a file, so its bytes are not held in this process while it is measured.
const path = join(tmpdir(), `ballast-soak-${process.pid}.onnx`);
const modelBytes = (() => {
  const model =
    mode === 'small'
      ? encodeMlpModel({ layers: [16, 32, 4], seed: 5 })
      : encodeMlpModel({ layers: mlpLayersForBytes(Number(bytesArg)), seed: 9 });
  writeFileSync(path, model);
  return model.length;
})();
const batch = mode === 'small' ? 1 : 32;
const input = { input: { data: new Float32Array(batch * 16), dims: [batch, 16] } };

const cache = new ModelCache(
  new OnnxModelLoader({ resolve: () => path, sessionOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 } }),
  { maxModels: 1, maxBytes: 4 * modelBytes, idleTtlMs: 0 },
);
gc();
const baselineRss = process.memoryUsage().rss;
const rss: [number, number][] = [];
const heap: [number, number][] = [];
let peakRss = baselineRss;
const started = performance.now();
for (let i = 1; i <= cycles; i++) {
  // Two names alternate in a cache of one: every cycle loads one model and evicts the other.
  await cache.withModel(i % 2 ? 'a' : 'b', (m) => m.run(input));
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  if (i % every === 0 && i > warmUp) {
    gc();
    const usage = process.memoryUsage();
    rss.push([i / 1000, usage.rss / MB]);
    heap.push([i / 1000, usage.heapUsed / MB]);
  }
}
const stats = cache.stats();
await cache.close();
rmSync(path, { force: true });
process.stdout.write(
  `${JSON.stringify({
    cycles,
    loads: stats.loads,
    capacityUnloads: stats.unloads.capacity,
    modelBytes,
    baselineRssMb: baselineRss / MB,
    peakRssMb: peakRss / MB,
    ms: performance.now() - started,
    rss,
    heap,
  })}\n`,
);

/**
 * Run in a child process by memory.spec.ts: random loads over 40 models of `minMb`–`maxMb` with a
 * byte cap, four callers at a time; prints one JSON line with the charged bytes and RSS seen.
 *   argv: <loads> <capMb> <minMb> <maxMb>
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { ModelCache } from '@ballast/neural';
import { encodeMlpModel, mlpLayersForBytes, OnnxModelLoader } from '@ballast/neural/onnx';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MB = 1024 * 1024;
const [loads = 500, capMb = 256, minMb = 1, maxMb = 50] = process.argv.slice(2).map(Number);
const cap = capMb * MB;
const dir = mkdtempSync(join(tmpdir(), 'ballast-bound-'));
const sessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };
const input = { input: { data: new Float32Array(16), dims: [1, 16] } };

try {
  for (let i = 0; i < 40; i++) {
    const size = Math.round((minMb + ((i * 7919) % 40) * ((maxMb - minMb) / 39)) * MB);
    writeFileSync(join(dir, `m${i}.onnx`), encodeMlpModel({ layers: mlpLayersForBytes(size), seed: i }));
  }
  // The baseline is a process whose runtime is initialised: the first session adds ~26 MB once.
  const first = new ModelCache(new OnnxModelLoader({ resolve: () => join(dir, 'm0.onnx'), sessionOptions }));
  await first.withModel('m0', (m) => m.run(input));
  await first.close();
  gc();
  const baselineRss = process.memoryUsage().rss;

  const cache = new ModelCache(
    new OnnxModelLoader({ resolve: ({ name }) => join(dir, `${name}.onnx`), sessionOptions }),
    { maxBytes: cap, maxModels: 40, loadConcurrency: 2, idleTtlMs: 0 },
  );
  let peakRss = baselineRss;
  let maxCharged = 0;
  let seed = 42;
  const next = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
  const caller = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++) {
      await using lease = await cache.getOrLoad(`m${Math.floor(next() * 40)}`);
      maxCharged = Math.max(maxCharged, cache.chargedBytes());
      await lease.model.run(input);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
  };
  const timer = setInterval(() => {
    maxCharged = Math.max(maxCharged, cache.chargedBytes());
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 5);
  await Promise.all([0, 1, 2, 3].map(() => caller(loads / 4)));
  clearInterval(timer);
  const stats = cache.stats();
  await cache.close();
  process.stdout.write(
    `${JSON.stringify({
      requests: stats.hits + stats.misses,
      loads: stats.loads,
      capacityUnloads: stats.unloads.capacity,
      peakChargedBytes: stats.peakChargedBytes,
      maxChargedSeen: maxCharged,
      cap,
      baselineRssMb: baselineRss / MB,
      peakRssMb: peakRss / MB,
      chargedAfterClose: cache.chargedBytes(),
    })}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

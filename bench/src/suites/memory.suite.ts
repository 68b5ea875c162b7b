/**
 * The memory governor (issue 16): a service whose two byte-bounded caches and model cache are
 * bounded at 1.5x the process limit, run in a child process with the governor and without it
 * (memory.service.ts); the same workload through one cache sized to what the limit leaves; and the
 * CPU cost of sampling (memory.sampling.ts). The limit is V8's heap limit (`--max-old-space-size`),
 * measured against heap used: that is what kills the ungoverned child. RSS is reported beside it.
 */
import {
  costResult,
  median,
  rateResult,
  roundTo,
  throughputResult,
  type BenchResult,
  type BenchSuite,
} from '../harness.js';
import { measureSamplingCost, ratioRange } from './memory.sampling.js';
import type { ServiceConfig } from './memory.service.js';
import { runService, type ServiceRun } from './memory.workload.js';

const MB = 1024 * 1024;
const LIMIT_MB = 64;
// The governor's own interval in the service: a fast filler needs a short one (the option's floor is 50).
const SERVICE_INTERVAL_MS = 100;

const mb = (bytes: number): number => roundTo(bytes / MB, 3);

function describeRun(run: ServiceRun): string {
  return run.completed ? `completed ${run.requests} requests` : `died (${run.death}) after >= ${run.requests} requests`;
}

const suite: BenchSuite = {
  name: 'memory',
  description: 'governor: caches bounded at 1.5x a 64 MB heap limit with/without it, hit rate, detection, sampling CPU',
  async run(ctx) {
    const requests = ctx.quick ? 4_000 : 12_000;
    const config = (mode: ServiceConfig['mode']): ServiceConfig => ({
      mode,
      limitMb: LIMIT_MB,
      requests,
      sampleIntervalMs: SERVICE_INTERVAL_MS,
      seed: 1,
    });
    ctx.log(`service with the governor (${requests} requests, --max-old-space-size=${LIMIT_MB})`);
    const governed = await runService(config('governed'));
    ctx.log(`  ${describeRun(governed)} in ${(governed.wallMs / 1000).toFixed(1)} s`);
    ctx.log('service without the governor');
    const ungoverned = await runService(config('ungoverned'));
    ctx.log(`  ${describeRun(ungoverned)} in ${(ungoverned.wallMs / 1000).toFixed(1)} s`);
    ctx.log('one cache sized to what the limit leaves (heap twice the limit, so it cannot die)');
    const single = await runService(config('single'), LIMIT_MB * 2);
    ctx.log(`  ${describeRun(single)}`);
    const pairs = ctx.quick ? 2 : 8;
    const roundMs = ctx.quick ? 1_200 : 3_000;
    ctx.log(`sampling CPU cost: ${pairs} pairs of ${roundMs} ms rounds`);
    const sampling = await measureSamplingCost(pairs, roundMs);

    const g = governed.result;
    const limitBytes = LIMIT_MB * MB;
    const results: BenchResult[] = [
      throughputResult({
        case: 'completed work, bounds 1.5x the limit',
        metric: 'requests_done',
        ours: governed.requests,
        peer: 'no governor',
        peerValue: ungoverned.requests,
        note:
          `of ${requests}; with: ${describeRun(governed)}; without: ${describeRun(ungoverned)}. ` +
          `Two AsyncTTLCaches of 0.55x and a ModelCache of 0.4x the ${LIMIT_MB} MB heap limit`,
      }),
      costResult({
        case: 'peak RSS / limit',
        metric: 'rss_over_heap_limit',
        ours: governed.peakRssBytes / limitBytes,
        peer: 'no governor',
        peerValue: ungoverned.peakRssBytes / limitBytes,
        note:
          `the limit is V8's heap limit, not an RSS budget: RSS also holds code, stacks and V8's spare pages ` +
          `(${mb(g?.baselineRssBytes ?? 0)} MB before any request). Peak RSS ${mb(governed.peakRssBytes)} MB with, ` +
          `${mb(ungoverned.peakRssBytes)} MB without (until it died)`,
      }),
      costResult({
        case: 'peak heap used / heap limit',
        metric: 'heap_over_limit',
        ours: (g?.peakHeapBytes ?? Number.NaN) / limitBytes,
        peer: 'goal',
        peerValue: 1,
        note: `${mb(g?.peakHeapBytes ?? 0)} MB of ${LIMIT_MB} MB at the probe (every 10 requests); heap at start ${mb(g?.baselineHeapBytes ?? 0)} MB`,
      }),
      rateResult({
        case: 'hit rate vs one cache sized to the limit',
        metric: 'hit_rate',
        ours: g?.cacheHitRate ?? 0,
        peer: 'one cache sized to the limit',
        peerValue: single.result?.cacheHitRate ?? Number.NaN,
        note:
          `goal >= 0.9. Same key streams; the single cache is bounded at 0.8 x limit less the heap in use at start ` +
          `(the room the governor keeps for caches and models alike), no models. Model hit rate with the governor ${roundTo(g?.modelHitRate ?? 0, 3)}`,
      }),
      throughputResult({
        case: 'sampling CPU cost',
        ours: sampling.withOpsPerSec,
        peer: 'no sampling',
        peerValue: sampling.withoutOpsPerSec,
        note:
          `goal >= 0.995. Sampling every ${sampling.intervalMs} ms (the default) and after each major GC; ${pairs} paired rounds of ` +
          `${roundMs} ms, medians; pair ratios p10-p90 ${ratioRange(sampling.pairRatios)
            .map((r) => r.toFixed(3))
            .join('-')}; ` +
          `${sampling.samples} samples took ${roundTo(sampling.samplingMs, 3)} ms`,
      }),
    ];
    const detection = g?.detectionMs ?? [];
    const recovery = g?.recoveryMs ?? [];
    if (detection.length > 0) {
      results.push(
        costResult({
          case: 'pressure detected after crossing elevated (max)',
          metric: 'ms',
          ours: Math.max(...detection),
          peer: 'goal: one interval',
          peerValue: SERVICE_INTERVAL_MS,
          note: `${detection.length} episodes, median ${roundTo(median(detection), 3)} ms; from the first probe at/over 80% of the limit to the level change (0 when the governor saw it first)`,
        }),
      );
    }
    if (recovery.length > 0) {
      results.push(
        costResult({
          case: 'back under elevated after shrinking (max)',
          metric: 'ms',
          ours: Math.max(...recovery),
          peer: 'goal',
          peerValue: 1_000,
          note: `${recovery.length} episodes, median ${roundTo(median(recovery), 3)} ms; from the level change to the first probe under 80% of the limit`,
        }),
      );
    }
    const summary = {
      limitMb: LIMIT_MB,
      limit: 'v8-heap (--max-old-space-size), measured as heap used',
      requests,
      governed: { ...governed, config: undefined },
      ungoverned: { ...ungoverned, config: undefined },
      single: { ...single, config: undefined },
      sampling,
    };
    return { results, summary };
  },
};

export default suite;

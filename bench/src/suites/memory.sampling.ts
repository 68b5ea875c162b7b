/**
 * What sampling costs a busy process: a CPU workload that allocates (as request handling does) and
 * yields between slices, run in paired rounds with a `MemoryGovernor` sampling at the default
 * interval plus after each major GC (wired as `MemoryGovernorService` wires it), and without one.
 * Which side goes first alternates per pair; figures are medians, plus the spread of the pairs' ratios.
 */
import { constants as perfConstants, PerformanceObserver } from 'node:perf_hooks';

import { detectMemoryBudget, MemoryGovernor, memoryOptions } from '@ballast/memory';

import { median, percentile } from '../harness.js';

export interface SamplingCost {
  readonly intervalMs: number;
  readonly withOpsPerSec: number;
  readonly withoutOpsPerSec: number;
  /** Per pair: with / without. */
  readonly pairRatios: number[];
  readonly samples: number;
  readonly samplingMs: number;
}

/** One unit of work: build, serialise and parse a small response, as a JSON handler does. */
function unit(i: number): number {
  const body = { id: i, name: `item-${i}`, tags: ['a', 'b', String(i % 7)], price: i * 1.5, nested: { at: i } };
  return JSON.parse(JSON.stringify(body)).nested.at as number;
}

/** Runs slices of ~1 ms for `ms`, yielding between them; answers units per second of wall time. */
async function runRound(ms: number): Promise<number> {
  const started = performance.now();
  let units = 0;
  let sink = 0;
  while (performance.now() - started < ms) {
    const sliceEnd = performance.now() + 1;
    while (performance.now() < sliceEnd) {
      for (let k = 0; k < 20; k++) sink += unit(units++);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (sink < 0) throw new Error('unreachable'); // keeps the work observable
  return (units / (performance.now() - started)) * 1000;
}

function startSampling(intervalMs: number): { governor: MemoryGovernor; stop: () => void } {
  const governor = new MemoryGovernor({
    budget: detectMemoryBudget(undefined, '/nonexistent-cgroup-root'),
    thresholds: { elevated: 0.8, critical: 0.9, hysteresis: 0.05 },
    retryAfterMs: 2_000,
  });
  governor.sample('interval');
  const interval = setInterval(() => governor.sample('interval'), intervalMs);
  const observer = new PerformanceObserver((list) => {
    const major = list
      .getEntries()
      .some(
        (entry) => (entry as { detail?: { kind?: number } }).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR,
      );
    if (major) governor.sample('gc');
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    governor,
    stop: () => {
      clearInterval(interval);
      observer.disconnect();
      governor.close();
    },
  };
}

export async function measureSamplingCost(pairs: number, roundMs: number): Promise<SamplingCost> {
  const intervalMs = memoryOptions.schema.parse({}).sampleIntervalMs;
  const withRounds: number[] = [];
  const withoutRounds: number[] = [];
  const pairRatios: number[] = [];
  let samples = 0;
  let samplingMs = 0;
  await runRound(Math.min(roundMs, 300)); // warm-up: the JIT has seen the workload
  for (let p = 0; p < pairs; p++) {
    let withOps = 0;
    let withoutOps = 0;
    for (const side of p % 2 === 0 ? ['with', 'without'] : ['without', 'with']) {
      if (side === 'with') {
        const sampling = startSampling(intervalMs);
        withOps = await runRound(roundMs);
        samples += sampling.governor.totals.samples;
        samplingMs += sampling.governor.totals.samplingMs;
        sampling.stop();
      } else {
        withoutOps = await runRound(roundMs);
      }
    }
    withRounds.push(withOps);
    withoutRounds.push(withoutOps);
    pairRatios.push(withOps / withoutOps);
  }
  return {
    intervalMs,
    withOpsPerSec: median(withRounds),
    withoutOpsPerSec: median(withoutRounds),
    pairRatios,
    samples,
    samplingMs,
  };
}

/** The middle 80% of the pairs' ratios, as a rough interval for the median. */
export function ratioRange(ratios: readonly number[]): [number, number] {
  return [percentile([...ratios], 10), percentile([...ratios], 90)];
}

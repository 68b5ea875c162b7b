/**
 * @ballast/resilience against what an app would use instead, in one process: opossum used raw (its
 * defaults, and tuned the way our engine runs it) and cockatiel 3. Cases follow issue 5's goals:
 * the success path with a breaker and a per-call timeout, the failure path as the window fills,
 * rejection while open, and the memory and timers of 10k per-key breakers.
 */
import {
  Bulkhead,
  CircuitBreaker as BreakerDecorator,
  ResilienceHolder,
  ResilienceRuntime,
  Retry,
  Timeout,
} from '@ballast/resilience';
import {
  bulkhead as cockatielBulkhead,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  CountBreaker,
  ExponentialBackoff,
  handleAll,
  retry as cockatielRetry,
  timeout as cockatielTimeout,
  TimeoutStrategy,
  wrap,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import Opossum from 'opossum';
import { EventEmitter } from 'node:events';

import {
  compareBytes,
  compareOps,
  costResult,
  forceGc,
  interleave,
  median,
  type BenchContext,
  type BenchResult,
  type BenchSuite,
} from '../harness.js';

const ok = async (): Promise<number> => 1;
const noop = (): void => undefined;
const TIMEOUT_MS = 10_000;

/** A runtime of our own for the suite, closed at the end so nothing keeps the process alive. */
function runtime(): ResilienceRuntime {
  return ResilienceRuntime.create({ breaker: { windowSize: 100, minimumCalls: 100 } });
}

function cockatielBreaker(): CircuitBreakerPolicy {
  return circuitBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(1_000_000) });
}

async function successPath(ctx: BenchContext, rt: ResilienceRuntime): Promise<BenchResult[]> {
  ctx.log('success path');
  const oursTimed = rt.breaker('success-timed', { timeoutMs: TIMEOUT_MS });
  const oursPlain = rt.breaker('success-plain');
  const opossumDefault = new Opossum(ok);
  const opossumNoTimeout = new Opossum(ok, { timeout: false });
  const cockatielPlain = cockatielBreaker();
  try {
    // cockatiel's timeout is measured at the end of the suite: the AbortController it creates per
    // call leaves garbage that slowed whatever ran next in the same rounds.
    const timed = await compareOps(
      { ours: () => oursTimed.execute(ok), opossum: () => opossumDefault.fire(), raw: () => ok() },
      ctx,
    );
    const plain = await compareOps(
      {
        ours: () => oursPlain.execute(ok),
        opossum: () => opossumNoTimeout.fire(),
        cockatiel: () => cockatielPlain.execute(ok),
      },
      ctx,
    );
    const floor = `raw await of the function: ${Math.round(timed.raw.nsPerOp)} ns`;
    return [
      costResult({
        case: 'success path, breaker + per-call timeout (10 s)',
        metric: 'ns_per_call',
        ours: timed.ours.nsPerOp,
        peer: 'opossum (defaults: 10 s timeout)',
        peerValue: timed.opossum.nsPerOp,
        note: `goal: ours <= 1.3x opossum, i.e. ratio >= 0.77; ours gives every call its own AbortSignal (created when read) on the shared timer wheel; ${floor}`,
      }),
      costResult({
        case: 'success path, breaker only',
        metric: 'ns_per_call',
        ours: plain.ours.nsPerOp,
        peer: 'opossum (timeout: false)',
        peerValue: plain.opossum.nsPerOp,
        note: 'ours runs on an opossum engine, so opossum alone is the floor of this case',
      }),
      costResult({
        case: 'success path, breaker only',
        metric: 'ns_per_call',
        ours: plain.ours.nsPerOp,
        peer: 'cockatiel',
        peerValue: plain.cockatiel.nsPerOp,
      }),
    ];
  } finally {
    opossumDefault.shutdown();
    opossumNoTimeout.shutdown();
  }
}

interface FailureTarget {
  call(fail: boolean): Promise<unknown>;
  /** Still closed: a breaker that opened would be measuring rejections, not failures. */
  closed(): boolean;
  dispose(): void;
}

const failing = async (): Promise<number> => {
  throw new Error('upstream failed');
};

// Every tenth call fails, never the first: opossum (volume threshold 0) opens on a first failure.
const failsAt = (i: number): boolean => i % 10 === 9;

/** ns per call of `measured` calls (10% failing) made once `windowCalls` calls fill the window. */
async function failureCost(
  make: () => FailureTarget,
  windowCalls: number,
  rounds: number,
  measured: number,
): Promise<number> {
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const target = make();
    try {
      for (let i = 0; i < windowCalls; i++) await target.call(failsAt(i)).catch(noop);
      forceGc();
      const started = performance.now();
      for (let i = 0; i < measured; i++) await target.call(failsAt(i)).catch(noop);
      samples.push(((performance.now() - started) * 1e6) / measured);
      if (!target.closed())
        throw new Error('a breaker opened during the failure-path case: its figure would be rejections');
    } finally {
      target.dispose();
    }
  }
  return median(samples);
}

async function failurePath(ctx: BenchContext, rt: ResilienceRuntime): Promise<BenchResult[]> {
  const rounds = ctx.quick ? 1 : 3;
  const results: BenchResult[] = [];
  const costs: Record<string, Record<number, number>> = { ours: {}, opossum: {}, cockatiel: {} };
  let made = 0;
  for (const windowCalls of [10_000, 40_000]) {
    ctx.log(`failure path, ${windowCalls} calls in the window`);
    const targets: Record<string, () => FailureTarget> = {
      ours: () => {
        const breaker = rt.breaker(`failure-${made++}`, {
          windowSize: windowCalls + 10_000,
          minimumCalls: windowCalls + 10_000,
          timeoutMs: TIMEOUT_MS,
        });
        return {
          call: (fail) => breaker.execute(fail ? failing : ok),
          closed: () => breaker.state === 'closed',
          dispose: () => breaker.shutdown(),
        };
      },
      opossum: () => {
        // Defaults: a 10 s window keeps every call of the run; percentiles on, as shipped.
        const breaker = new Opossum((fail: boolean) => (fail ? failing() : ok()));
        return { call: (fail) => breaker.fire(fail), closed: () => breaker.closed, dispose: () => breaker.shutdown() };
      },
      cockatiel: () => {
        const breaker = circuitBreaker(handleAll, {
          halfOpenAfter: 30_000,
          breaker: new CountBreaker({
            threshold: 0.5,
            size: windowCalls + 10_000,
            minimumNumberOfCalls: windowCalls + 10_000,
          }),
        });
        return {
          call: (fail) => breaker.execute(fail ? failing : ok),
          closed: () => breaker.state === CircuitState.Closed,
          dispose: noop,
        };
      },
    };
    // opossum's cost grows with its window: 2,000 measured calls keep it near N. Ours and
    // cockatiel do not grow, and measure 20,000 calls, which a noisy machine needs.
    const perRound = await interleave(Object.keys(targets), 1, async (name) =>
      name === 'opossum'
        ? failureCost(targets[name]!, windowCalls, rounds, 2_000)
        : failureCost(targets[name]!, windowCalls, rounds + 2, 20_000),
    );
    for (const name of Object.keys(targets)) costs[name]![windowCalls] = perRound[name]![0]!;
  }
  const growth = (name: string) => Math.round(costs[name]![40_000]! - costs[name]![10_000]!);
  for (const windowCalls of [10_000, 40_000]) {
    results.push(
      costResult({
        case: `failure path, 10% failing, ${windowCalls / 1000}k calls in the window`,
        metric: 'ns_per_call',
        ours: costs.ours![windowCalls]!,
        peer: 'opossum (defaults)',
        peerValue: costs.opossum![windowCalls]!,
        note:
          windowCalls === 40_000
            ? `goal: flat within 1 us from 10k to 40k; growth 10k->40k: ours ${growth('ours')} ns, opossum ${growth('opossum')} ns, cockatiel ${growth('cockatiel')} ns`
            : 'every tenth call fails (an Error with its stack); count windows of N + 10k calls for ours and cockatiel, opossum keeps 10 s',
      }),
      costResult({
        case: `failure path, 10% failing, ${windowCalls / 1000}k calls in the window`,
        metric: 'ns_per_call',
        ours: costs.ours![windowCalls]!,
        peer: 'cockatiel (CountBreaker)',
        peerValue: costs.cockatiel![windowCalls]!,
      }),
    );
  }
  return results;
}

async function rejection(ctx: BenchContext, rt: ResilienceRuntime): Promise<BenchResult[]> {
  ctx.log('rejection while open');
  const ours = rt.breaker('rejecting', { openDurationMs: 3_600_000 });
  ours.forceOpen();
  const opossum = new Opossum(ok, { resetTimeout: 3_600_000 });
  opossum.open();
  const cockatiel = cockatielBreaker();
  const isolation = cockatiel.isolate();
  try {
    const r = await compareOps(
      {
        ours: () => ours.execute(ok).catch(noop),
        opossum: () => opossum.fire().catch(noop),
        cockatiel: () => cockatiel.execute(ok).catch(noop),
        floor: () => Promise.reject(new TypeError('x')).catch(noop),
      },
      ctx,
    );
    const note = `goal: ours <= 1.5 us; a rejected promise with a stack-captured error costs ${Math.round(r.floor.nsPerOp)} ns here; ours builds its error without a stack`;
    return [
      costResult({
        case: 'rejection while open',
        metric: 'ns_per_call',
        ours: r.ours.nsPerOp,
        peer: 'opossum',
        peerValue: r.opossum.nsPerOp,
        note,
      }),
      costResult({
        case: 'rejection while open',
        metric: 'ns_per_call',
        ours: r.ours.nsPerOp,
        peer: 'cockatiel (isolated)',
        peerValue: r.cockatiel.nsPerOp,
      }),
    ];
  } finally {
    opossum.shutdown();
    isolation.dispose();
  }
}

/** Counts timers armed while `fn` runs (setInterval + setTimeout, ref'd or not). */
function timersArmedBy(fn: () => void): number {
  const original = { setInterval: globalThis.setInterval, setTimeout: globalThis.setTimeout };
  let armed = 0;
  globalThis.setInterval = ((...args: Parameters<typeof setInterval>) => {
    armed++;
    return original.setInterval(...args);
  }) as typeof setInterval;
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    armed++;
    return original.setTimeout(...args);
  }) as typeof setTimeout;
  try {
    fn();
  } finally {
    globalThis.setInterval = original.setInterval;
    globalThis.setTimeout = original.setTimeout;
  }
  return armed;
}

async function perKeyMemory(ctx: BenchContext): Promise<BenchResult[]> {
  const keys = 10_000;
  ctx.log(`${keys} per-key breakers: memory and timers`);
  const cleanups: (() => void | Promise<void>)[] = [];
  const rotation = new EventEmitter();
  rotation.setMaxListeners(0);
  const fillOurs = (n: number) => {
    const rt = ResilienceRuntime.create();
    const group = rt.breakers.keyed('tenants', { maxKeys: n });
    for (let i = 0; i < n; i++) group.get(`tenant-${i}`);
    cleanups.push(() => rt.close());
    return group;
  };
  const fillOpossum = (options: Opossum.Options) => (n: number) => {
    const breakers = Array.from({ length: n }, () => new Opossum(ok, options));
    cleanups.push(() => breakers.forEach((b) => b.shutdown()));
    return breakers;
  };
  const tuned: Opossum.Options = {
    rollingPercentilesEnabled: false,
    enableSnapshots: false,
    rotateBucketController: rotation,
  };
  const fillCockatiel = (n: number) => Array.from({ length: n }, () => cockatielBreaker());
  try {
    const bytes = await compareBytes(
      {
        ours: fillOurs,
        opossum: fillOpossum({}),
        opossumTuned: fillOpossum(tuned),
        cockatiel: fillCockatiel,
      },
      keys,
      { rounds: ctx.quick ? 1 : 3, source: 'heap' },
    );
    const timers = {
      ours: timersArmedBy(() => void fillOurs(keys)),
      opossum: timersArmedBy(() => void fillOpossum({})(keys)),
    };
    return [
      costResult({
        case: `${keys / 1000}k per-key breakers, memory`,
        metric: 'bytes_per_breaker',
        ours: bytes.ours.bytesPerEntry,
        peer: 'opossum (defaults)',
        peerValue: bytes.opossum.bytesPerEntry,
        note: 'goal: ours <= 8 KB per breaker; ours = an opossum engine (2 statistics buckets for per-key breakers) + our window of 100 calls + LRU entry',
      }),
      costResult({
        case: `${keys / 1000}k per-key breakers, memory`,
        metric: 'bytes_per_breaker',
        ours: bytes.ours.bytesPerEntry,
        peer: 'opossum (tuned: shared rotation, no percentiles, no snapshots)',
        peerValue: bytes.opossumTuned.bytesPerEntry,
        note: 'what our engine costs on its own: the difference is ours',
      }),
      costResult({
        case: `${keys / 1000}k per-key breakers, memory`,
        metric: 'bytes_per_breaker',
        ours: bytes.ours.bytesPerEntry,
        peer: 'cockatiel',
        peerValue: bytes.cockatiel.bytesPerEntry,
        note: 'cockatiel keeps no statistics window (ConsecutiveBreaker)',
      }),
      costResult({
        case: `${keys / 1000}k per-key breakers, timers armed`,
        metric: 'timers',
        ours: timers.ours,
        peer: 'opossum (defaults)',
        peerValue: timers.opossum,
        note: 'goal: no timer per breaker; ours has one rotation timer for all, opossum two intervals each',
      }),
    ];
  } finally {
    for (const cleanup of cleanups) await cleanup();
  }
}

async function policies(ctx: BenchContext, rt: ResilienceRuntime): Promise<BenchResult[]> {
  ctx.log('timeout, retry, bulkhead, full stack');
  const ourTimeout = rt.timeout('bench-timeout', { timeoutMs: TIMEOUT_MS });
  const theirTimeout = cockatielTimeout(TIMEOUT_MS, TimeoutStrategy.Cooperative);
  const ourRetry = rt.retry('bench-retry');
  const theirRetry = cockatielRetry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() });
  const ourBulkhead = rt.bulkhead('bench-bulkhead', { maxConcurrent: 25, maxQueue: 50 });
  const theirBulkhead = cockatielBulkhead(25, 50);

  class Quotes {
    @Retry()
    @BreakerDecorator('bench-stack')
    @Timeout(TIMEOUT_MS)
    @Bulkhead({ maxConcurrent: 25, maxQueue: 50 })
    async quote(): Promise<number> {
      return 1;
    }
  }
  ResilienceHolder.install(rt);
  const quotes = new Quotes();
  const theirStack = wrap(
    cockatielRetry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }),
    cockatielBreaker(),
    cockatielTimeout(TIMEOUT_MS, TimeoutStrategy.Cooperative),
    cockatielBulkhead(25, 50),
  );
  try {
    const t = await compareOps(
      {
        ours: () => ourTimeout.execute(ok),
        oursSignal: () => ourTimeout.execute(({ signal }) => (signal.aborted ? 0 : 1)),
        cockatiel: () => theirTimeout.execute(ok),
      },
      ctx,
    );
    const r = await compareOps({ ours: () => ourRetry.execute(ok), cockatiel: () => theirRetry.execute(ok) }, ctx);
    const b = await compareOps(
      { ours: () => ourBulkhead.execute(ok), cockatiel: () => theirBulkhead.execute(ok) },
      ctx,
    );
    const s = await compareOps({ ours: () => quotes.quote(), cockatiel: () => theirStack.execute(ok) }, ctx);
    const oursTimedBreaker = rt.breaker('cockatiel-comparison', { timeoutMs: TIMEOUT_MS });
    const theirTimedBreaker = wrap(cockatielBreaker(), cockatielTimeout(TIMEOUT_MS, TimeoutStrategy.Cooperative));
    const bt = await compareOps(
      { ours: () => oursTimedBreaker.execute(ok), cockatiel: () => theirTimedBreaker.execute(ok) },
      ctx,
    );
    return [
      costResult({
        case: 'success path, breaker + per-call timeout (10 s)',
        metric: 'ns_per_call',
        ours: bt.ours.nsPerOp,
        peer: 'cockatiel (breaker + cooperative timeout)',
        peerValue: bt.cockatiel.nsPerOp,
        note: 'measured with the cockatiel timeout cases, last: see the note of the timeout cases',
      }),
      costResult({
        case: 'timeout (10 s), function ignores the signal',
        metric: 'ns_per_call',
        ours: t.ours.nsPerOp,
        peer: 'cockatiel (cooperative)',
        peerValue: t.cockatiel.nsPerOp,
        note: 'cockatiel creates an AbortController per call (its garbage slows what runs next, so these cases run last); ours only when the function reads the signal',
      }),
      costResult({
        case: 'timeout (10 s), function reads its signal',
        metric: 'ns_per_call',
        ours: t.oursSignal.nsPerOp,
        peer: 'cockatiel (cooperative)',
        peerValue: t.cockatiel.nsPerOp,
      }),
      costResult({
        case: 'retry, success on the first attempt',
        metric: 'ns_per_call',
        ours: r.ours.nsPerOp,
        peer: 'cockatiel',
        peerValue: r.cockatiel.nsPerOp,
      }),
      costResult({
        case: 'bulkhead (25 + queue 50), uncontended',
        metric: 'ns_per_call',
        ours: b.ours.nsPerOp,
        peer: 'cockatiel',
        peerValue: b.cockatiel.nsPerOp,
      }),
      costResult({
        case: 'retry + breaker + timeout + bulkhead, success',
        metric: 'ns_per_call',
        ours: s.ours.nsPerOp,
        peer: 'cockatiel (wrap of the same four)',
        peerValue: s.cockatiel.nsPerOp,
        note: 'ours through the method decorators, in their documented order',
      }),
    ];
  } finally {
    ResilienceHolder.uninstall(rt);
  }
}

const suite: BenchSuite = {
  name: 'resilience',
  description: 'breakers, timeout, retry, bulkhead vs opossum (raw) and cockatiel',
  async run(ctx) {
    const rt = runtime();
    try {
      return [
        ...(await successPath(ctx, rt)),
        ...(await failurePath(ctx, rt)),
        ...(await rejection(ctx, rt)),
        ...(await perKeyMemory(ctx)),
        ...(await policies(ctx, rt)),
      ];
    } finally {
      await rt.close();
    }
  },
};

export default suite;

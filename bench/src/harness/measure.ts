import { forceGc } from './memory.js';
import { median, percentiles, spread, type Percentiles } from './stats.js';

/**
 * One operation. It receives a call index (0, 1, 2... within a timed batch) to vary keys with;
 * return its result rather than dropping it, so the JIT cannot prove the work useless.
 * A function that returns a promise is awaited call by call.
 */
export type BenchFn = (i: number) => unknown;

export interface MeasureOptions {
  /** Measured rounds; each round measures every target once, the order rotating every round. */
  readonly rounds?: number;
  /** Warm-up per target before the first round, in milliseconds. */
  readonly warmupMs?: number;
  /** Measured time per target per round, in milliseconds. */
  readonly timeMs?: number;
  /** Full GC before each target's turn, so no target pays for another's garbage. Default true. */
  readonly gc?: boolean;
}

// Many short rounds rather than a few long ones: neighbours on a shared machine come and go within
// a second, and short alternating slices make both targets see the same load (an A/A check of one
// function against itself read 0.93-1.10 with 15 x 100 ms, 0.88-1.23 with 5 x 300 ms).
export const MEASURE_DEFAULTS = { rounds: 15, warmupMs: 300, timeMs: 100, gc: true } as const;

export interface OpsStats {
  /** Median over rounds of operations per second. */
  readonly opsPerSec: number;
  /** 1e9 / opsPerSec: the cost of one operation. */
  readonly nsPerOp: number;
  readonly perRound: readonly number[];
  /** (max - min) / median of the rounds: 0.05 means the rounds agreed within 5%. */
  readonly spread: number;
  /** Calls per timed batch, chosen in warm-up so a batch lasts at least min(2 ms, timeMs / 10). */
  readonly batch: number;
  readonly async: boolean;
}

type TimedLoop = (fn: BenchFn, n: number, sink: { value: unknown }) => number | Promise<number>;

interface Target {
  readonly fn: BenchFn;
  readonly async: boolean;
  readonly loop: TimedLoop;
  batch: number;
}

// Results land here so the calls cannot be optimised away.
const sink: { value: unknown } = { value: undefined };

const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as FunctionConstructor;

// Each target gets its own compiled copy of the loop: a shared loop would see every target at one
// call site, go polymorphic and make whichever ran first look faster than it is.
function compileLoop(isAsync: boolean): TimedLoop {
  const body =
    'let r; const t0 = performance.now();' +
    `for (let i = 0; i < n; i++) r = ${isAsync ? 'await ' : ''}fn(i);` +
    'const t = performance.now() - t0; sink.value = r; return t;';
  return (isAsync ? new AsyncFunction('fn', 'n', 'sink', body) : new Function('fn', 'n', 'sink', body)) as TimedLoop;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

async function prepare(fn: BenchFn): Promise<Target> {
  const first = fn(0);
  const isAsync = isThenable(first);
  if (isAsync) await first;
  return { fn, async: isAsync, loop: compileLoop(isAsync), batch: 1 };
}

async function timeBatch(target: Target): Promise<number> {
  return target.loop(target.fn, target.batch, sink);
}

/** Runs the target for `ms`, growing its batch until one batch lasts at least `sampleMs`. */
async function warmUp(target: Target, ms: number, sampleMs: number): Promise<void> {
  const deadline = performance.now() + ms;
  for (;;) {
    const elapsed = await timeBatch(target);
    if (elapsed < sampleMs) {
      const factor = elapsed <= 0 ? 10 : Math.min(10, Math.max(2, (sampleMs * 1.2) / elapsed));
      target.batch = Math.ceil(target.batch * factor);
    } else if (performance.now() >= deadline) {
      return;
    }
  }
}

async function measureRound(target: Target, timeMs: number, gc: boolean): Promise<number> {
  if (gc) forceGc();
  let ops = 0;
  let elapsed = 0;
  do {
    elapsed += await timeBatch(target);
    ops += target.batch;
  } while (elapsed < timeMs);
  return (ops * 1000) / elapsed;
}

/**
 * Runs `measure` for every name, `rounds` times, rotating who goes first each round (a, b / b, a /
 * ...) so that drift of a shared machine (turbo, neighbours, heap growth) hits every target alike.
 * The building block of the compare* helpers, for suites that measure something of their own.
 */
export async function interleave<K extends string, T>(
  names: readonly K[],
  rounds: number,
  measure: (name: K, round: number) => T | Promise<T>,
): Promise<Record<K, T[]>> {
  if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`rounds must be a whole number >= 1`);
  const out = Object.fromEntries(names.map((name) => [name, [] as T[]])) as Record<K, T[]>;
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length]!;
      out[name].push(await measure(name, round));
    }
  }
  return out;
}

/**
 * Operations per second of each target, side by side: every target warmed up (two interleaved
 * passes), then `rounds` interleaved rounds of `timeMs` each, in batches of many calls so the timer
 * costs nothing next to sub-microsecond operations; the median round is kept.
 */
export async function compareOps<K extends string>(
  targets: Readonly<Record<K, BenchFn>>,
  options: MeasureOptions = {},
): Promise<Record<K, OpsStats>> {
  const rounds = options.rounds ?? MEASURE_DEFAULTS.rounds;
  const warmupMs = options.warmupMs ?? MEASURE_DEFAULTS.warmupMs;
  const timeMs = options.timeMs ?? MEASURE_DEFAULTS.timeMs;
  const gc = options.gc ?? MEASURE_DEFAULTS.gc;
  const names = Object.keys(targets) as K[];
  const sampleMs = Math.max(0.2, Math.min(2, timeMs / 10));
  const prepared = {} as Record<K, Target>;
  for (const name of names) prepared[name] = await prepare(targets[name]);
  for (let pass = 0; pass < 2; pass++) {
    for (const name of pass === 0 ? names : [...names].reverse()) {
      await warmUp(prepared[name], warmupMs / 2, sampleMs);
    }
  }
  const perRound = await interleave(names, rounds, (name) => measureRound(prepared[name], timeMs, gc));
  return Object.fromEntries(
    names.map((name) => {
      const opsPerSec = median(perRound[name]);
      const stats: OpsStats = {
        opsPerSec,
        nsPerOp: 1e9 / opsPerSec,
        perRound: perRound[name],
        spread: spread(perRound[name]),
        batch: prepared[name].batch,
        async: prepared[name].async,
      };
      return [name, stats];
    }),
  ) as Record<K, OpsStats>;
}

/** {@link compareOps} for a single function. */
export async function measureOps(fn: BenchFn, options: MeasureOptions = {}): Promise<OpsStats> {
  return (await compareOps({ only: fn }, options)).only;
}

export interface LatencyOptions {
  /** Interleaved rounds; the samples of all rounds are pooled. */
  readonly rounds?: number;
  /** Calls per target per round. */
  readonly calls?: number;
  /** Unmeasured calls per target before the first round. */
  readonly warmupCalls?: number;
  /** Callers running at once (each awaits its call before the next), e.g. 100 borrowers. */
  readonly concurrency?: number;
  readonly gc?: boolean;
}

/** Latency of each call, in microseconds; `concurrency` callers loop until `calls` are done. */
export async function collectLatencies(fn: BenchFn, calls: number, concurrency = 1): Promise<number[]> {
  const samples = new Array<number>(calls);
  let next = 0;
  const caller = async (): Promise<void> => {
    while (next < calls) {
      const i = next++;
      const start = performance.now();
      await fn(i);
      samples[i] = (performance.now() - start) * 1000;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, calls)) }, caller));
  return samples;
}

/** Per-call latency percentiles (µs) of each target, rounds interleaved as in {@link compareOps}. */
export async function compareLatency<K extends string>(
  targets: Readonly<Record<K, BenchFn>>,
  options: LatencyOptions = {},
): Promise<Record<K, Percentiles>> {
  const rounds = options.rounds ?? MEASURE_DEFAULTS.rounds;
  const calls = options.calls ?? 1_000;
  const concurrency = options.concurrency ?? 1;
  const names = Object.keys(targets) as K[];
  for (const name of names) await collectLatencies(targets[name], options.warmupCalls ?? calls, concurrency);
  const perRound = await interleave(names, rounds, (name) => {
    if (options.gc ?? true) forceGc();
    return collectLatencies(targets[name], calls, concurrency);
  });
  return Object.fromEntries(names.map((name) => [name, percentiles(perRound[name].flat())])) as Record<K, Percentiles>;
}

/** {@link compareLatency} for a single function. */
export async function measureLatency(fn: BenchFn, options: LatencyOptions = {}): Promise<Percentiles> {
  return (await compareLatency({ only: fn }, options)).only;
}

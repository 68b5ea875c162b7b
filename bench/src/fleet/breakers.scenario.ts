import { percentile } from '../system/summarize.js';
import { BreakerWatch, quote } from './breaker-watch.js';
import { setUpstreamMode, type Fleet } from './fleet.js';
import { lagDelta, percentileUpperBoundMs, readLagBuckets } from './shared-state-lag.js';

export interface BreakerPropagationResult {
  readonly cycles: number;
  /**
   * Per cycle and per other instance: from the opener's publish (its clock) to the end of the
   * first answer the other instance short-circuited — an upper bound of the propagation, HTTP
   * round trip and probe spacing included.
   */
  readonly samplesMs: readonly number[];
  /** Other instances that had not short-circuited 3 s after the open (not in the samples). */
  readonly missed: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
  /** The same from the start of the last call still answered normally: the propagation lies between. */
  readonly lowerBoundP99Ms: number | null;
  /**
   * Where propagation happens: each instance's `ballast_circuit_breaker_shared_state_lag_seconds`
   * (sender's stamp to applied, every breaker message of the scenario: opens, closes, resets),
   * read from `/metrics` before and after, added up over the fleet. Percentiles are the upper
   * bound of the bucket that holds them; one machine, so no clock skew.
   */
  readonly appliedLag: {
    readonly messages: number;
    readonly p50UpperBoundMs: number | null;
    readonly p99UpperBoundMs: number | null;
  };
  /** A fourth instance started while the breaker was held open: did its first call short-circuit? */
  readonly lateStarter?: { readonly firstCallShortCircuited: boolean; readonly learnedAfterMs: number | null };
}

const BREAKER = 'upstream';
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const round1 = (value: number | null) => (value === null ? null : Math.round(value * 10) / 10);

/** Calls `url` until it short-circuits; resolves with the end time (epoch ms) of that answer, or null. */
/**
 * Calls `url` from `loops` staggered loops until it short-circuits. The instance learned the open
 * breaker after the start of the latest call it answered normally and before the end of the
 * earliest it refused: both are returned (epoch ms), or null when it never refused before
 * `stop.until`. More loops narrow the bracket (the HTTP round trip on a loaded machine is its width).
 */
async function firstShortCircuit(
  url: string,
  stop: { until: number },
  loops = 3,
): Promise<{ after: number; before: number } | null> {
  let after = 0;
  let before = Infinity;
  const loop = async (offset: number) => {
    await sleep(offset);
    while (Date.now() < stop.until && before === Infinity) {
      const start = Date.now();
      const answer = await quote(url).catch(() => undefined);
      if (answer?.shortCircuited) before = Math.min(before, Date.now());
      else if (answer) after = Math.max(after, start);
      await sleep(3);
    }
  };
  await Promise.all(Array.from({ length: loops }, (_, i) => loop(i * 4)));
  return before === Infinity ? null : { after, before };
}

/** Drives `url`'s breaker open (its upstream is failing) until the watch hears the open message. */
async function driveOpen(url: string, watch: BreakerWatch, since: number, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const opened = watch.find(BREAKER, 'open', since);
    if (opened) return opened;
    await quote(url).catch(() => undefined);
  }
  throw new Error(`the breaker "${BREAKER}" did not open within ${timeoutMs} ms`);
}

async function resetAll(fleet: Fleet, watch: BreakerWatch, urls: readonly string[]): Promise<void> {
  for (const url of urls) await setUpstreamMode(url, 'ok');
  await watch.reset(BREAKER);
  const until = Date.now() + 5_000;
  for (const url of urls) {
    while ((await quote(url)).shortCircuited) {
      if (Date.now() > until) throw new Error(`instance ${url} still short-circuits 5 s after the reset`);
      await sleep(20);
    }
  }
}

/**
 * One instance's upstream fails until its breaker opens; the others' upstreams stay healthy, so
 * they short-circuit only if they learned the open breaker through Redis. Repeated `cycles` times,
 * the opener taking turns; the breaker is reset fleet-wide between cycles.
 */
export async function breakerPropagation(
  fleet: Fleet,
  options: { readonly cycles: number; readonly lateStarter: boolean },
): Promise<BreakerPropagationResult> {
  const watch = await BreakerWatch.start(fleet.options.redisUrl, fleet.breakerChannel);
  const urls = fleet.instances.map((demo) => demo.url);
  const samples: number[] = [];
  const lowerBounds: number[] = [];
  let missed = 0;
  let lateStarter: BreakerPropagationResult['lateStarter'];
  const lagBefore = await Promise.all(urls.map(readLagBuckets));
  let lag: ReturnType<typeof lagDelta>;
  try {
    await resetAll(fleet, watch, urls);
    for (let cycle = 0; cycle < options.cycles; cycle++) {
      const opener = urls[cycle % urls.length]!;
      const others = urls.filter((url) => url !== opener);
      const since = watch.messages.length;
      // The others are asked all along, from before the open: their first short-circuit is timed.
      const stop = { until: Date.now() + 30_000 };
      const watching = others.map((url) => firstShortCircuit(url, stop));
      await setUpstreamMode(opener, 'unavailable');
      let opened;
      try {
        opened = await driveOpen(opener, watch, since);
      } finally {
        stop.until = Date.now() + 3_000;
      }
      for (const learned of await Promise.all(watching)) {
        if (learned === null) missed++;
        else {
          samples.push(Math.max(0, learned.before - opened.at));
          lowerBounds.push(Math.max(0, learned.after - opened.at));
        }
      }
      if (options.lateStarter && cycle === options.cycles - 1) {
        lateStarter = await startLate(fleet, opener);
      }
      await resetAll(fleet, watch, urls);
    }
    // The late starter has left again: the three instances that took part all along.
    lag = lagDelta(lagBefore, await Promise.all(urls.map(readLagBuckets)));
  } finally {
    await watch.close();
  }
  return {
    cycles: options.cycles,
    samplesMs: samples.map((ms) => Math.round(ms)),
    missed,
    p50Ms: round1(percentile(samples, 50)),
    p99Ms: round1(percentile(samples, 99)),
    maxMs: round1(samples.length ? Math.max(...samples) : null),
    lowerBoundP99Ms: round1(percentile(lowerBounds, 99)),
    appliedLag: {
      messages: lag.get(Infinity) ?? 0,
      p50UpperBoundMs: percentileUpperBoundMs(lag, 50),
      p99UpperBoundMs: percentileUpperBoundMs(lag, 99),
    },
    ...(lateStarter ? { lateStarter } : {}),
  };
}

/**
 * Starts one more instance while the opener's breaker is held open (the opener keeps calling its
 * failing upstream, so each half-open trial fails and opens it again), then asks it once.
 */
async function startLate(fleet: Fleet, opener: string) {
  let keep = true;
  const keeper = (async () => {
    while (keep) {
      await quote(opener).catch(() => undefined);
      await sleep(50);
    }
  })();
  try {
    const late = await fleet.startExtra();
    const first = await quote(late.url);
    if (first.shortCircuited) return { firstCallShortCircuited: true, learnedAfterMs: 0 };
    const t0 = Date.now();
    const learned = await firstShortCircuit(late.url, { until: t0 + 15_000 });
    return { firstCallShortCircuited: false, learnedAfterMs: learned === null ? null : learned.before - t0 };
  } finally {
    keep = false;
    await keeper;
    await fleet.stopExtras();
  }
}

/**
 * A fixed-bucket histogram kept in plain arrays: `observe()` is a short scan and two additions, and
 * nothing touches prom-client until a scrape reads {@link BucketHistogram.snapshot}. Values are in
 * milliseconds; bounds are upper bounds (Prometheus `le`), the last bucket is +Inf.
 */
export class BucketHistogram {
  readonly bounds: Float64Array;
  private readonly counts: Float64Array;
  private total = 0;
  private sumMs = 0;

  constructor(boundsMs: readonly number[]) {
    for (let i = 1; i < boundsMs.length; i++) {
      if (!(boundsMs[i]! > boundsMs[i - 1]!)) throw new RangeError('histogram bounds must be strictly increasing');
    }
    this.bounds = Float64Array.from(boundsMs);
    this.counts = new Float64Array(boundsMs.length + 1);
  }

  observe(ms: number): void {
    const bounds = this.bounds;
    let i = 0;
    // Most observations (a wait of 0, a short use) land in the first buckets: a forward scan beats bisection.
    while (i < bounds.length && ms > bounds[i]!) i++;
    this.counts[i]!++;
    this.total++;
    this.sumMs += ms;
  }

  get count(): number {
    return this.total;
  }

  get sum(): number {
    return this.sumMs;
  }

  snapshot(): HistogramSnapshot {
    return { bounds: this.bounds, counts: Float64Array.from(this.counts), count: this.total, sumMs: this.sumMs };
  }
}

export interface HistogramSnapshot {
  /** Upper bounds in milliseconds. */
  readonly bounds: Float64Array;
  /** Per-bucket (not cumulative) counts; one more than `bounds`, the last being +Inf. */
  readonly counts: Float64Array;
  readonly count: number;
  readonly sumMs: number;
}

/** What happened between two snapshots of the same histogram. */
export function histogramDelta(later: HistogramSnapshot, earlier: HistogramSnapshot | undefined): HistogramSnapshot {
  if (!earlier) return later;
  const counts = new Float64Array(later.counts.length);
  for (let i = 0; i < counts.length; i++) counts[i] = later.counts[i]! - (earlier.counts[i] ?? 0);
  return { bounds: later.bounds, counts, count: later.count - earlier.count, sumMs: later.sumMs - earlier.sumMs };
}

/**
 * Estimates a quantile (0..1) by linear interpolation inside the bucket that holds it, as
 * Prometheus' `histogram_quantile` does. Returns 0 for an empty histogram; values past the last
 * bound report the last bound.
 */
export function histogramQuantile(snapshot: HistogramSnapshot, q: number): number {
  if (snapshot.count <= 0) return 0;
  const rank = q * snapshot.count;
  let seen = 0;
  for (let i = 0; i < snapshot.counts.length; i++) {
    const inBucket = snapshot.counts[i]!;
    if (seen + inBucket >= rank && inBucket > 0) {
      if (i >= snapshot.bounds.length) return snapshot.bounds[snapshot.bounds.length - 1] ?? 0;
      const lower = i === 0 ? 0 : snapshot.bounds[i - 1]!;
      const upper = snapshot.bounds[i]!;
      return lower + (upper - lower) * ((rank - seen) / inBucket);
    }
    seen += inBucket;
  }
  return snapshot.bounds[snapshot.bounds.length - 1] ?? 0;
}

/** Bounds (ms) for acquire wait time: most waits are 0, the interesting ones span 0.1 ms to 30 s. */
export const WAIT_BUCKETS_MS = [
  0.01, 0.1, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000,
];
/** Bounds (ms) for how long a resource is held. */
export const USE_BUCKETS_MS = [
  0.1, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000,
];
/** Bounds (ms) for creating a resource (a TCP + TLS + auth handshake). */
export const CREATE_BUCKETS_MS = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000];

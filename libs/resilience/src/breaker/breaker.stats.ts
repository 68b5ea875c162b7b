/** Upper bounds (seconds) of the call-duration histogram. */
export const DURATION_BUCKETS_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
const BOUNDS_MS = DURATION_BUCKETS_SECONDS.map((s) => s * 1000);
const RECENT_OPENS = 32;

/**
 * Plain counters kept on the call path and read when Prometheus scrapes (a prom-client `inc()` per
 * call costs more than the rest of a protected call). A per-key group shares one of these, so
 * ten thousand keys make one series, not ten thousand.
 */
export class BreakerStats {
  successes = 0;
  failures = 0;
  timeouts = 0;
  ignored = 0;
  shortCircuited = 0;
  slowCalls = 0;
  opens = 0;
  halfOpens = 0;
  closes = 0;
  /** Per bucket, not cumulative; the last slot is +Inf. */
  readonly durationCounts = new Float64Array(BOUNDS_MS.length + 1);
  durationSumSeconds = 0;
  /** Epoch ms of the latest opens, oldest first, for flap detection. */
  readonly recentOpens: number[] = [];

  observe(durationMs: number): void {
    let i = 0;
    while (i < BOUNDS_MS.length && durationMs > BOUNDS_MS[i]!) i++;
    this.durationCounts[i]!++;
    this.durationSumSeconds += durationMs / 1000;
  }

  opened(atEpochMs: number): void {
    this.opens++;
    this.recentOpens.push(atEpochMs);
    if (this.recentOpens.length > RECENT_OPENS) this.recentOpens.shift();
  }

  opensSince(epochMs: number): number {
    let n = 0;
    for (const at of this.recentOpens) if (at >= epochMs) n++;
    return n;
  }

  get calls(): number {
    return this.successes + this.failures + this.timeouts + this.ignored;
  }
}

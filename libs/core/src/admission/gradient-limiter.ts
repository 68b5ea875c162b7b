/**
 * An adaptive concurrency limit after Netflix concurrency-limits' Gradient2Limit: requests are
 * measured in windows; each window's average latency (the short RTT) is compared with an exponential
 * average of past windows (the long RTT, the service's baseline). While the short RTT stays within
 * `rttTolerance` times the baseline the limit grows by a small headroom (√limit, at least 4) each
 * window; beyond it the limit shrinks in proportion, at most by half a window's worth, smoothed.
 *
 * One deliberate difference from Netflix: the baseline learns only from windows in which the limit
 * was in use (at least half of it in flight). Netflix feeds every window into it, so a service that
 * idled at 2 ms learns "2 ms is normal"; on a CPU-bound Node process (latency grows with every
 * request in flight) the first real load then reads as a 100x overload and the limit collapses to
 * its minimum. Learned under concurrency, the baseline is the latency the service has when it is
 * busy, and the limit shrinks only when that gets markedly worse.
 *
 * Pure logic with an injected clock, so it is tested deterministically.
 */
export interface GradientLimiterSettings {
  readonly initialLimit: number;
  readonly minLimit: number;
  readonly maxLimit: number;
  readonly rttTolerance: number;
  readonly smoothing: number;
  readonly windowMs: number;
  readonly minWindowSamples: number;
  readonly longWindow: number;
}

/** Windows the long-term average is a plain mean for, before it turns exponential (as Netflix's warm-up). */
const WARMUP_WINDOWS = 10;

export interface GradientLimiterSnapshot {
  readonly limit: number;
  /** The floor the limit never falls below. */
  readonly minLimit: number;
  readonly inflight: number;
  readonly shortRttMs: number;
  readonly longRttMs: number;
  readonly admitted: number;
  readonly shed: number;
}

export class GradientLimiter {
  private estimatedLimit: number;
  private inflightCount = 0;
  private admittedTotal = 0;
  private shedTotal = 0;

  private windowStart: number;
  private windowSamples = 0;
  private windowRttSum = 0;
  private windowMaxInflight = 0;

  private longRtt = 0;
  private longWindowsSeen = 0;
  private lastShortRtt = 0;

  constructor(
    private readonly settings: GradientLimiterSettings,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.estimatedLimit = Math.max(settings.minLimit, Math.min(settings.maxLimit, settings.initialLimit));
    this.windowStart = now();
  }

  /** The current limit, whole requests. */
  get limit(): number {
    return Math.floor(this.estimatedLimit);
  }

  get inflight(): number {
    return this.inflightCount;
  }

  /**
   * Admits a request when fewer than `limit` are in flight; returns its start time for
   * {@link release}, or undefined when it must be shed.
   */
  tryAcquire(): number | undefined {
    if (this.inflightCount >= this.limit) {
      this.shedTotal++;
      return undefined;
    }
    this.inflightCount++;
    this.admittedTotal++;
    if (this.inflightCount > this.windowMaxInflight) this.windowMaxInflight = this.inflightCount;
    return this.now();
  }

  /**
   * Ends an admitted request. `measured: false` (the client went away, the request failed before an
   * answer) frees the slot without a latency sample, so aborted requests do not teach the limiter.
   */
  release(startedAt: number, measured = true): void {
    this.inflightCount--;
    const now = this.now();
    if (measured) {
      this.windowSamples++;
      this.windowRttSum += now - startedAt;
    }
    if (now - this.windowStart >= this.settings.windowMs && this.windowSamples >= this.settings.minWindowSamples) {
      this.closeWindow(now);
    }
  }

  snapshot(): GradientLimiterSnapshot {
    return {
      limit: this.limit,
      minLimit: this.settings.minLimit,
      inflight: this.inflightCount,
      shortRttMs: this.lastShortRtt,
      longRttMs: this.longRtt,
      admitted: this.admittedTotal,
      shed: this.shedTotal,
    };
  }

  private closeWindow(now: number): void {
    // Never 0: a window of sub-resolution samples would otherwise divide by zero below.
    const shortRtt = Math.max(this.windowRttSum / this.windowSamples, 1e-3);
    const maxInflight = Math.max(this.windowMaxInflight, this.inflightCount);
    this.windowStart = now;
    this.windowSamples = 0;
    this.windowRttSum = 0;
    this.windowMaxInflight = this.inflightCount;
    this.lastShortRtt = shortRtt;
    this.update(shortRtt, maxInflight);
  }

  private update(shortRtt: number, maxInflight: number): void {
    // App-limited: with fewer than half the limit in use the window says nothing about the limit,
    // nor about the service's latency when busy. Neither moves.
    if (maxInflight < this.estimatedLimit / 2) return;
    const { minLimit, maxLimit, rttTolerance, smoothing, longWindow } = this.settings;
    this.longWindowsSeen++;
    if (this.longWindowsSeen <= WARMUP_WINDOWS) {
      this.longRtt += (shortRtt - this.longRtt) / this.longWindowsSeen;
    } else {
      this.longRtt += (shortRtt - this.longRtt) * (2 / (longWindow + 1));
    }
    const longRtt = this.longRtt;
    // After a long stretch of overload the baseline sits far above today's latency: pull it down
    // faster than the average would, so the limit can grow back (Gradient2 does the same).
    if (longRtt / shortRtt > 2) this.longRtt *= 0.95;
    const gradient = Math.max(0.5, Math.min(1, (rttTolerance * longRtt) / shortRtt));
    const headroom = Math.max(4, Math.sqrt(this.estimatedLimit));
    const target = this.estimatedLimit * gradient + headroom;
    const smoothed = this.estimatedLimit * (1 - smoothing) + target * smoothing;
    this.estimatedLimit = Math.max(minLimit, Math.min(maxLimit, smoothed));
  }
}

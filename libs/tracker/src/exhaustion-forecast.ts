/** One type's counts over time in a ring buffer, and a drift model that forecasts exhaustion. */
export interface CountSample {
  readonly at: number;
  readonly count: number;
}

export interface ForecastConfig {
  /** Samples kept per type; the drift is estimated over all of them. */
  readonly window: number;
  /** No forecast before this many samples. */
  readonly minSamples: number;
  /** Alert when the limit would be reached within this many ms. */
  readonly horizonMs: number;
  /**
   * How many standard errors the mean step must sit above zero. Testing the steps, not the level,
   * is what keeps a random walk quiet: its steps average zero, while a level regression on a
   * random walk finds a "trend" most of the time.
   */
  readonly minSignificance: number;
}

export interface Forecast {
  readonly type: string;
  readonly count: number;
  readonly limit: number;
  /** Growth per second, estimated from the steps between samples. */
  readonly ratePerSecond: number;
  /** How many standard errors the growth is above zero. */
  readonly significance: number;
  /** Milliseconds until `limit` at the current growth; undefined when not growing. */
  readonly exhaustionInMs?: number;
  readonly alert: boolean;
}

export const DEFAULT_FORECAST: ForecastConfig = {
  window: 60,
  minSamples: 8,
  horizonMs: 30 * 60_000,
  minSignificance: 4,
};

export class CountHistory {
  private readonly samples: CountSample[] = [];

  constructor(private readonly window: number) {}

  add(at: number, count: number): void {
    this.samples.push({ at, count });
    if (this.samples.length > this.window) this.samples.shift();
  }

  all(): readonly CountSample[] {
    return this.samples;
  }

  get latest(): CountSample | undefined {
    return this.samples[this.samples.length - 1];
  }
}

export function forecastExhaustion(
  type: string,
  samples: readonly CountSample[],
  limit: number,
  config: ForecastConfig = DEFAULT_FORECAST,
): Forecast {
  const count = samples[samples.length - 1]?.count ?? 0;
  const quiet: Forecast = { type, count, limit, ratePerSecond: 0, significance: 0, alert: false };
  if (samples.length < Math.max(3, config.minSamples)) return quiet;
  // Rates per second of each step, so irregular sampling does not bias the estimate.
  const rates: number[] = [];
  for (let i = 1; i < samples.length; i++) {
    const dt = (samples[i]!.at - samples[i - 1]!.at) / 1_000;
    if (dt > 0) rates.push((samples[i]!.count - samples[i - 1]!.count) / dt);
  }
  if (rates.length < 2) return quiet;
  const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
  const variance = rates.reduce((a, r) => a + (r - mean) ** 2, 0) / (rates.length - 1);
  const stderr = Math.sqrt(variance / rates.length);
  const significance = stderr === 0 ? (mean > 0 ? Infinity : 0) : mean / stderr;
  if (mean <= 0) return { ...quiet, ratePerSecond: mean, significance };
  const exhaustionInMs = (Math.max(0, limit - count) / mean) * 1_000;
  const alert = significance >= config.minSignificance && exhaustionInMs <= config.horizonMs;
  return { type, count, limit, ratePerSecond: mean, significance, exhaustionInMs, alert };
}

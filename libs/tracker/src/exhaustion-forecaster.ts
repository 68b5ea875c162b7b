import {
  CountHistory,
  DEFAULT_FORECAST,
  forecastExhaustion,
  type Forecast,
  type ForecastConfig,
} from './exhaustion-forecast.js';

/**
 * Per-type count histories and their limits. The tracker feeds it at every scan (tracked counts)
 * and poll (fds, heap); `forecasts()` says which would run out within the horizon.
 */
export class ExhaustionForecaster {
  private readonly histories = new Map<string, CountHistory>();
  private readonly limits = new Map<string, number>();
  readonly config: ForecastConfig;

  constructor(config: Partial<ForecastConfig> = {}, limits: Readonly<Record<string, number>> = {}) {
    this.config = { ...DEFAULT_FORECAST, ...config };
    for (const [type, limit] of Object.entries(limits)) this.limits.set(type, limit);
  }

  setLimit(type: string, limit: number): void {
    this.limits.set(type, limit);
  }

  limitOf(type: string): number | undefined {
    return this.limits.get(type);
  }

  record(type: string, at: number, count: number): void {
    let history = this.histories.get(type);
    if (!history) {
      history = new CountHistory(this.config.window);
      this.histories.set(type, history);
    }
    history.add(at, count);
  }

  history(type: string): readonly { at: number; count: number }[] {
    return this.histories.get(type)?.all() ?? [];
  }

  /** Forecasts of every type that has a limit. */
  forecasts(): Forecast[] {
    const out: Forecast[] = [];
    for (const [type, history] of this.histories) {
      const limit = this.limits.get(type);
      if (limit !== undefined) out.push(forecastExhaustion(type, history.all(), limit, this.config));
    }
    return out;
  }

  alerts(): Forecast[] {
    return this.forecasts().filter((f) => f.alert);
  }
}

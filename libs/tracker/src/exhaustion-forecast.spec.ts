import { describe, expect, it } from '@jest/globals';

import { ExhaustionForecaster } from './exhaustion-forecaster.js';

/** Deterministic PRNG (mulberry32) so the random walk is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SAMPLE_EVERY_MS = 10_000;

describe('exhaustion forecast (time compressed: one sample = 10 s)', () => {
  it('forecasts a 1 fd/s leak at least 10 minutes before it reaches ulimit -n', () => {
    const limit = 1_024;
    const forecaster = new ExhaustionForecaster({ horizonMs: 30 * 60_000 }, { fd: limit });
    let fds = 40;
    let firstAlertAt: number | undefined;
    let t = 0;
    const jitter = seeded(7);
    while (fds < limit) {
      forecaster.record('fd', t, fds);
      if (firstAlertAt === undefined && forecaster.alerts().length > 0) firstAlertAt = t;
      t += SAMPLE_EVERY_MS;
      // 1 fd/s on average, with some fds closed and opened in between.
      fds += 10 + Math.round((jitter() - 0.5) * 6);
    }
    const exhaustedAt = t;
    expect(firstAlertAt).toBeDefined();
    expect(exhaustedAt - firstAlertAt!).toBeGreaterThanOrEqual(10 * 60_000);
    const [forecast] = forecaster.forecasts();
    expect(forecast!.ratePerSecond).toBeGreaterThan(0.8);
    expect(forecast!.ratePerSecond).toBeLessThan(1.2);
  });

  it('raises no alert on a random walk around a flat mean, over 24 hours of samples', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const forecaster = new ExhaustionForecaster({ horizonMs: 30 * 60_000 }, { fd: 1_024 });
      const random = seeded(seed);
      let fds = 900;
      let alerts = 0;
      for (let i = 0; i < 8_640; i++) {
        forecaster.record('fd', i * SAMPLE_EVERY_MS, fds);
        alerts += forecaster.alerts().length;
        // A step of up to +-8 fds, pulled gently back to the mean of 900 (close to the limit on purpose).
        fds = Math.max(0, Math.round(fds + (random() - 0.5) * 16 - (fds - 900) * 0.05));
      }
      expect({ seed, alerts }).toEqual({ seed, alerts: 0 });
    }
  });

  it('does not alert on a step change (a deploy that opens 50 more connections once)', () => {
    const forecaster = new ExhaustionForecaster({ horizonMs: 30 * 60_000 }, { 'db-connection': 200 });
    let alerts = 0;
    for (let i = 0; i < 200; i++) {
      forecaster.record('db-connection', i * SAMPLE_EVERY_MS, i < 100 ? 100 : 150);
      alerts += forecaster.alerts().length;
    }
    expect(alerts).toBe(0);
  });
});

import { describe, expect, it } from '@jest/globals';

import { PoolReporter, type PoolReporterOptions } from './pool.reporter.js';
import type { PoolStats } from './resource-pool/pool-stats.js';
import { fakeStats } from './testing/index.js';

const MINUTE = 60_000;

/** A pool whose numbers and clock the spec moves by hand. */
function scenario(options: Partial<PoolReporterOptions> = {}) {
  let now = 0;
  let current: PoolStats = fakeStats();
  const reporter = new PoolReporter(
    'database:main',
    { name: 'main', kind: 'database', stats: () => current },
    {
      windowMs: 10 * MINUTE,
      thresholds: { degradedUtilisation: 0.9, persistentWaitersMs: 1_000 },
      maxSetting: 'databases.main.maxSize',
      minSetting: 'databases.main.minSize',
      now: () => now,
      ...options,
    },
  );
  return {
    reporter,
    /** Moves the clock, sets the pool's numbers, and samples like the scheduler would. */
    at(minute: number, stats: Parameters<typeof fakeStats>[0]) {
      now = minute * MINUTE;
      current = fakeStats(stats);
      reporter.sample();
    },
  };
}

/** `count` values of `ms` each. */
const times = (count: number, ms: number) => Array.from({ length: count }, () => ms);

describe('PoolReporter', () => {
  it("recommends growing by Little's law when busy with waiters and timeouts, quoting the numbers", () => {
    const { reporter, at } = scenario({ budget: { serverLimit: () => 200, instances: () => 1, overhead: 1 } });
    at(0, { max: 10, used: 10, size: 10 });
    // 10 minutes, 60,000 acquires (100/s), each held ~200 ms; waiters and 12 timeouts.
    at(10, {
      max: 10,
      used: 10,
      size: 10,
      pending: 4,
      timeouts: 12,
      exhausted: 12,
      waits: times(60_000, 30),
      uses: times(60_000, 200),
    });
    const report = reporter.report();
    const grow = report.recommendations.find((r) => r.setting?.name === 'databases.main.maxSize')!;
    expect(grow.severity).toBe('critical');
    expect(grow.message).toMatch(
      /^utilisation 100% with 12 timeout\(s\) and waiters over 10 min \(100 acquires\/s x p95 use \d+(\.\d+)? ms = \d+ connections by Little's law\): raise max from 10 to \d+$/,
    );
    expect(grow.evidence).toMatchObject({ acquire_rate_per_s: 100, timeouts: 12, pending: 4, server_limit: 200 });
    const littles = grow.evidence.littles_law_connections as number;
    expect(littles).toBeGreaterThanOrEqual(24); // 100/s x >= 0.2 s x 1.2
    expect(grow.setting!.suggested).toBe(Math.max(littles, 13));
    expect(report.health.status).toBe('degraded');
    expect(report.efficiencyScore).toBeLessThan(50);
  });

  it('caps growth at floor(server limit / instances) minus the connections outside the pool', () => {
    const busy = (instances: number, max = 20) => {
      const budget = { serverLimit: () => 100, instances: () => instances, overhead: 1 };
      const { reporter, at } = scenario({ budget });
      at(0, { max, used: max, size: max });
      at(10, { max, used: max, size: max, pending: 9, timeouts: 3, uses: times(60_000, 400) });
      return reporter.report();
    };
    // 100 / 4 = 25 per instance, one kept for the health connection: 24, below the +25% step to 25.
    const four = busy(4);
    expect(four.recommendations).toHaveLength(1);
    expect(four.recommendations[0]).toMatchObject({ severity: 'critical', setting: { current: 20, suggested: 24 } });
    expect(four.metrics).toMatchObject({ server_limit: 100, fleet_instances: 4, fleet_max_size: 24 });
    // 100 / 6 = 16 per instance: 15 in the pool. Never "raise": lower max to the share instead.
    const six = busy(6);
    const atLimit = six.recommendations.find((r) => r.severity === 'critical')!;
    expect(atLimit.message).toContain(
      "already at this instance's share of the server (limit 100 / 6 instance(s) - 1 outside the pool = max 15)",
    );
    expect(atLimit.setting).toBeUndefined();
    const lower = six.recommendations.find((r) => r.setting !== undefined)!;
    expect(lower).toMatchObject({ severity: 'warning', setting: { current: 20, suggested: 15 } });
    expect(lower.message).toBe(
      "6 instance(s) x (max 20 + 1 outside the pool) = 126 connections exceed the server's limit of 100: lower max from 20 to 15",
    );
    for (const instances of [1, 2, 3, 4, 5, 6, 7, 9, 13]) {
      for (const r of busy(instances, 12).recommendations) {
        if (r.setting) expect(instances * (Number(r.setting.suggested) + 1)).toBeLessThanOrEqual(100);
      }
    }
  });

  it('recommends shrinking after a whole window with most connections idle', () => {
    const { reporter, at } = scenario();
    for (let minute = 0; minute <= 10; minute++)
      at(minute, { max: 20, min: 2, size: 10, used: minute % 2 === 0 ? 2 : 1, idle: 8, uses: times(minute * 10, 5) });
    const shrink = reporter.report().recommendations.find((r) => r.message.includes('lower max'))!;
    expect(shrink.severity).toBe('info');
    expect(shrink.message).toMatch(/idle for 10 min \(peak 2 of 20 in use\): lower max from 20 to 3/);
    expect(shrink.setting).toEqual({ name: 'databases.main.maxSize', current: 20, suggested: 3 });
  });

  it('does not recommend shrinking before the window is covered', () => {
    const { reporter, at } = scenario();
    at(0, { max: 20, size: 10, used: 1, idle: 9 });
    at(3, { max: 20, size: 10, used: 1, idle: 9 });
    expect(reporter.report().recommendations).toEqual([]);
  });

  it('suspects a leak when timeouts coincide with rising hold times', () => {
    const { reporter, at } = scenario();
    at(0, { max: 10, used: 2, size: 4 });
    at(5, { max: 10, used: 3, size: 4, uses: times(1_000, 10) });
    at(10, { max: 10, used: 6, size: 10, timeouts: 4, uses: [...times(1_000, 10), ...times(200, 900)] });
    const leak = reporter.report().recommendations.find((r) => r.message.includes('suspect'))!;
    expect(leak.severity).toBe('warning');
    expect(leak.message).toMatch(
      /4 timeout\(s\) while mean hold time rose from 10 ms to 900 ms: suspect a leaked connection/,
    );
  });

  it('scores a pool working in the 60-80% band with short waits near 100', () => {
    const { reporter, at } = scenario();
    at(0, { max: 10, used: 7, size: 8, idle: 1 });
    at(10, { max: 10, used: 7, size: 8, idle: 1, waits: times(10_000, 0), uses: times(10_000, 5) });
    expect(reporter.report().efficiencyScore).toBeGreaterThanOrEqual(95);
  });

  it('reports failing connects with the last error', () => {
    const { reporter, at } = scenario();
    at(0, { size: 0 });
    at(1, {
      size: 0,
      errors: { create: 3, validate: 0, destroy: 0, broken: 0 },
      lastCreateError: 'connect ECONNREFUSED',
    });
    const [failing] = reporter.report().recommendations;
    expect(failing).toMatchObject({
      severity: 'critical',
      message: '3 failed connection attempt(s) over 1 min, last: connect ECONNREFUSED',
    });
  });
});

/**
 * The short CI version of the system suite (bench/src/system, `npm run system -- --quick` for the
 * table): the built demo as a child process against the real PostgreSQL and Redis, each behind a
 * fault-injecting proxy, under load. It asserts the goals of issue 12 that hold today; the figures
 * themselves (latency, throughput) are reported by the suite, never asserted here.
 */
import { describe, expect, it } from '@jest/globals';

import { SCENARIOS, type ScenarioResult } from '../../bench/src/system/scenarios.js';
import type { SystemEnv } from '../../bench/src/system/system-stack.js';
import { DATABASE_URL, REDIS_URL } from '../support/services.js';

const env: SystemEnv = { databaseUrl: DATABASE_URL, redisUrl: REDIS_URL, quick: true, log: () => undefined };

async function run(name: string): Promise<ScenarioResult> {
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (!scenario) throw new Error(`no scenario ${name}`);
  return scenario.run(env);
}

/** Every answer that is not a 2xx is a 503 (shed or a dependency down): no 500, no 502. */
function nonSuccessStatuses(result: ScenarioResult): string[] {
  return Object.keys(result.traffic.statuses).filter((status) => !/^2\d\d$/.test(status) && status !== '503');
}

describe('the demo as a whole service (system suite, CI version)', () => {
  it('baseline: every request gets an HTTP answer, anything but a 2xx is a 503, every acknowledged write is in PostgreSQL', async () => {
    const result = await run('baseline-100');
    expect(result.traffic.requests).toBeGreaterThan(0);
    expect(result.traffic.answeredPct).toBe(100);
    expect(nonSuccessStatuses(result)).toEqual([]);
    expect(result.acknowledgedWrites).toBeGreaterThan(0);
    expect(result.lostAcknowledgedWrites).toBe(0);
    expect(result.alarms).toMatchObject({ leak: 0, breakerOpen: 0, redisDownSamples: 0 });
  }, 90_000);

  it('PostgreSQL cut: no acknowledged write is lost and every request still gets an HTTP answer', async () => {
    const result = await run('postgres-cut');
    expect(result.duringFault!.requests).toBeGreaterThan(0);
    expect(result.traffic.answeredPct).toBe(100);
    expect(result.lostAcknowledgedWrites).toBe(0);
  }, 120_000);

  it('Redis cut: requests keep being served from L1 and PostgreSQL, with no 500 and nothing lost', async () => {
    const result = await run('redis-cut');
    expect(result.duringFault!.requests).toBeGreaterThan(0);
    expect(result.duringFault!.successPct).toBeGreaterThan(50);
    expect(nonSuccessStatuses(result)).toEqual([]);
    expect(result.lostAcknowledgedWrites).toBe(0);
  }, 120_000);
});

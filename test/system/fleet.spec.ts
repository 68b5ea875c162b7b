/**
 * The short CI version of the fleet suite (bench/src/fleet; `npm run bench -- fleet --json` for the
 * figures): three instances of the built demo against the real PostgreSQL and Redis, behind the
 * suite's round-robin proxy. It asserts the goals of issue 18 that do not depend on the machine's
 * speed; times (propagation, p99) are reported by the suite and only checked to be measured here.
 */
import { describe, expect, it } from '@jest/globals';

import { runFleet, type FleetReport } from '../../bench/src/fleet/fleet-run.js';
import { DATABASE_URL, REDIS_URL } from '../support/services.js';

describe('a fleet of three demo instances (fleet suite, CI version)', () => {
  let report: FleetReport;

  it('runs the fleet scenarios', async () => {
    report = await runFleet({ databaseUrl: DATABASE_URL, redisUrl: REDIS_URL, quick: true, log: () => undefined });
    expect(report.summary.instances).toBe(3);
    // About 30-60 s on a quiet machine, nearly all of it four demo start-ups; on this 2-core machine
    // shared by several sessions (load average ~20) a start-up took 30 s and the whole up to 3 min.
  }, 300_000);

  it('rolling restart under load: every request answered 2xx through the proxy, no acknowledged write lost', () => {
    const roll = report.rollingRestart;
    expect(roll.restarts).toHaveLength(3);
    for (const restart of roll.restarts) expect(restart.exit).toMatchObject({ code: 0, killed: false });
    expect(roll.duringRoll.requests).toBeGreaterThan(0);
    expect(roll.acknowledgedWrites).toBeGreaterThan(0);
    expect(roll.failedSamples).toEqual([]);
    expect(report.summary.rollingRestartFailedRequests).toBe(0);
    expect(report.summary.rollingRestartLostWrites).toBe(0);
  });

  it('shared breakers: when one instance opens, the others short-circuit, and a late starter learns it', () => {
    const breakers = report.breakers;
    expect(breakers.missed).toBe(0);
    expect(breakers.samplesMs).toHaveLength(breakers.cycles * 2);
    expect(Number.isFinite(report.summary.breakerPropagationP99Ms)).toBe(true);
    expect(breakers.lateStarter).toEqual({ firstCallShortCircuited: true, learnedAfterMs: 0 });
  });

  it('dead letters replayed from three replayers at once: the Postgres store hands no letter out twice and loses none', () => {
    const postgres = report.deadLetters.stores.find((s) => s.store === 'postgres')!;
    expect(postgres.deliveries).toBe(postgres.letters);
    expect(postgres.concurrentDoubleDeliveries).toBe(0);
    expect(postgres.lettersDeliveredTwice).toBe(0);
    expect(postgres.undelivered).toBe(0);
    // The Redis store has no lease yet (issue 18, item 4: another branch): it hands letters out
    // more than once and that is reported, not asserted; it must still deliver every letter.
    const redis = report.deadLetters.stores.find((s) => s.store === 'redis')!;
    expect(redis.undelivered).toBe(0);
  });

  it('the fleet never holds more PostgreSQL connections than the server allows', () => {
    expect(report.summary.serverConnectionLimit).toBeGreaterThan(0);
    // Three instances were up: each holds at least its pool's minimum.
    expect(report.summary.maxConnectionsInUse).toBeGreaterThanOrEqual(3);
    expect(report.summary.maxConnectionsInUse).toBeLessThanOrEqual(report.summary.serverConnectionLimit);
  });
});

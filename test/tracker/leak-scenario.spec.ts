import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { describe, expect, it } from '@jest/globals';

import { naturalGc, runLeakScenario, UNSEEN_PLAN, type ScenarioName } from '../../bench/src/suites/tracker.scenario.js';
import { DATABASE_URL, REDIS_URL } from '../support/services.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** The configuration: every default, plus a global limit. */
const GLOBAL = { leaks: { maxLifetimeMs: 5 * 60_000 } };

const run = (
  scenario: ScenarioName,
  seed: number,
  collect: Parameters<typeof runLeakScenario>[0]['collect'],
  options = {},
  pace: 'burst' | 'steady' = 'burst',
) => runLeakScenario({ scenario, seed, collect, options, pace, databaseUrl: DATABASE_URL, redisUrl: REDIS_URL });

describe('leak scenarios (real resources, owners from the app AsyncLocalStorage, time compressed)', () => {
  it.each<[ScenarioName, number]>([
    ['seen', 42],
    ['unseen', 43],
  ])(
    '%s: defaults + a global limit find every leak with type and owner, no false positive, forced GC',
    async (scenario, seed) => {
      const result = await run(scenario, seed, () => gc(), GLOBAL);
      expect({ missed: result.missed, wrong: result.wrongAttribution, fp: result.falsePositiveIds }).toEqual({
        missed: [],
        wrong: [],
        fp: [],
      });
      expect(result.abandonedNotCollected).toEqual([]);
      expect(result.detectionRate).toBeGreaterThanOrEqual(0.95);
    },
    120_000,
  );

  it('unseen: defaults alone (learned lifetimes with growth, no global limit) find >= 95% of steady leaks, <= 5% false positives', async () => {
    const result = await run('unseen', 44, () => gc(), {}, 'steady');
    expect(result.detectionRate).toBeGreaterThanOrEqual(0.95);
    expect(result.falsePositiveRate).toBeLessThanOrEqual(0.05);
    expect(result.wrongAttribution).toEqual([]);
  }, 120_000);

  it('unseen: a burst of leaks that never grows is not reported by the learned rule, but is on age alone', async () => {
    const growth = await run('unseen', 45, () => gc());
    // Every held leak is missed; only the abandoned FileHandles are found (collected without close).
    const held = Object.values(UNSEEN_PLAN).reduce((sum, fates) => sum + (fates.leaked ?? 0), 0);
    expect(growth.missed.filter((label) => !label.includes('/leaked/'))).toEqual([]);
    expect(growth.missed).toHaveLength(held);
    expect(growth.found).toBe(growth.leaks - held);
    expect(growth.falsePositives).toBe(0);
    const ageAlone = await run('unseen', 45, () => gc(), { leaks: { learn: { requireGrowth: false } } });
    expect(ageAlone.detectionRate).toBeGreaterThanOrEqual(0.95);
    expect(ageAlone.falsePositiveRate).toBeLessThanOrEqual(0.05);
  }, 120_000);

  it('seen: every abandoned FileHandle and object is reported as collected without close, natural GC', async () => {
    const result = await run('seen', 7, naturalGc(), GLOBAL);
    expect(result.abandonedNotCollected).toEqual([]);
    expect(result.detectionRate).toBeGreaterThanOrEqual(0.95);
    expect(result.falsePositiveRate).toBeLessThanOrEqual(0.05);
  }, 120_000);
});

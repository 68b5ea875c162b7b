/**
 * The tracker's leak scenarios (tracker.scenario.ts) scored: leaks found with the right type and
 * owner, and resources falsely reported, for each scenario set, forced GC: leaks opened at a
 * steady pace (a leak grows) and all at once (a burst that never grows), with default options
 * alone, with a global `leaks.maxLifetimeMs`, and (burst) with the learned rule on age alone. The
 * peer is the goal (95% found, 95% of non-leaks not reported), so a ratio >= 1 meets it.
 * Defaults on a burst are below it by design: the learned rule reports only a growing count.
 */
import type { ResourceTrackerModuleOptions } from '@ballast/tracker';

import { rateResult, type BenchResult, type BenchSuite } from '../harness.js';
import { runLeakScenario, type ScenarioName } from './tracker.scenario.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const GLOBAL = { leaks: { maxLifetimeMs: 300_000 } };
const AGE_ALONE = { leaks: { learn: { requireGrowth: false } } };
const CONFIGS: Array<[string, 'steady' | 'burst', ResourceTrackerModuleOptions]> = [
  ['defaults, steady leaks', 'steady', {}],
  ['defaults + global 5 min, steady leaks', 'steady', GLOBAL],
  ['defaults, burst', 'burst', {}],
  ['learn.requireGrowth false, burst', 'burst', AGE_ALONE],
  ['defaults + global 5 min, burst', 'burst', GLOBAL],
];

const suite: BenchSuite = {
  name: 'tracker-leaks',
  description: 'leak scenarios: leaks found with type and owner, false positives (defaults, forced GC)',
  async run(ctx) {
    const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
    const results: BenchResult[] = [];
    for (const scenario of ['seen', 'unseen'] as ScenarioName[]) {
      for (const [config, pace, options] of CONFIGS) {
        const r = await runLeakScenario({
          scenario,
          pace,
          seed: 42,
          // Not `collect: gc`: gc(fn) reads its truthy argument as "minor GC only", which never
          // took the abandoned objects (they were found held-too-long instead).
          collect: () => gc(),
          options,
          databaseUrl: DATABASE_URL,
          redisUrl: REDIS_URL,
        });
        ctx.log(
          `${scenario} / ${config}: ${r.found}/${r.leaks} found, ${r.falsePositives} false positives of ${r.planned - r.leaks}, ${r.abandonedNotCollected.length} abandoned not seen collected`,
        );
        const note = `${r.planned} resources, ${r.leaks} leaks; missed: ${r.missed.length + r.wrongAttribution.length}`;
        results.push(
          rateResult({
            case: `${scenario}, ${config}: leaks found`,
            metric: 'found_pct',
            ours: 100 * r.detectionRate,
            peer: 'goal',
            peerValue: 95,
            note,
          }),
          rateResult({
            case: `${scenario}, ${config}: non-leaks not reported`,
            metric: 'clean_pct',
            ours: 100 * (1 - r.falsePositiveRate),
            peer: 'goal',
            peerValue: 95,
            note: `${r.falsePositives} false positives`,
          }),
        );
      }
    }
    return results;
  },
};

export default suite;

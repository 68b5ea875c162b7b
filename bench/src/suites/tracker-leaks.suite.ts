/**
 * The tracker's leak scenarios (tracker.scenario.ts) scored: leaks found with the right type and
 * owner, and resources falsely reported, for each scenario set with default options alone and
 * with a global `leaks.maxLifetimeMs`, forced GC. The peer is the goal (95% found, 95%
 * of non-leaks not reported), so a ratio >= 1 meets it.
 */
import { rateResult, type BenchResult, type BenchSuite } from '../harness.js';
import { runLeakScenario, type ScenarioName } from './tracker.scenario.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const CONFIGS = { defaults: {}, 'defaults + global 5 min': { leaks: { maxLifetimeMs: 300_000 } } };

const suite: BenchSuite = {
  name: 'tracker-leaks',
  description: 'leak scenarios: leaks found with type and owner, false positives (defaults, forced GC)',
  async run(ctx) {
    const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
    const results: BenchResult[] = [];
    for (const scenario of ['seen', 'unseen'] as ScenarioName[]) {
      for (const [config, options] of Object.entries(CONFIGS)) {
        const r = await runLeakScenario({
          scenario,
          seed: 42,
          collect: gc,
          options,
          databaseUrl: DATABASE_URL,
          redisUrl: REDIS_URL,
        });
        ctx.log(
          `${scenario} / ${config}: ${r.found}/${r.leaks} found, ${r.falsePositives} false positives of ${r.planned - r.leaks}`,
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

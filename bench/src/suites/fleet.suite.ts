/**
 * `npm run bench -- fleet [--quick] [--json]`: three instances of the built demo against one
 * PostgreSQL and one Redis, behind a round-robin proxy of the suite's own (bench/src/fleet), and
 * the scenarios of issue 18. The JSON line carries the goals' figures as `"fleet": {...}`; the
 * results array holds the few figures that compare with something (the fleet steady vs rolling).
 * Needs the built demo; FLEET_DATABASE_URL (default DATABASE_URL) is truncated, so give it a
 * database of its own; FLEET_REDIS_URL (default REDIS_URL).
 */
import { runFleet } from '../fleet/fleet-run.js';
import { costResult, type BenchResult, type BenchSuite } from '../harness.js';

const suite: BenchSuite = {
  name: 'fleet',
  description:
    'three demo instances behind a round-robin proxy: shared breakers, cache coherence, dead letters, rolling restart',
  async run(ctx) {
    const report = await runFleet({
      databaseUrl:
        process.env.FLEET_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
      redisUrl: process.env.FLEET_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      quick: ctx.quick,
      log: ctx.log,
    });
    const results: BenchResult[] = [];
    const { p99BeforeMs, p99DuringRollMs } = report.rollingRestart;
    if (p99BeforeMs && p99DuringRollMs) {
      results.push(
        costResult({
          case: 'request p99 during a rolling restart (3 instances)',
          metric: 'p99_ms',
          ours: p99DuringRollMs,
          peer: 'same fleet, steady',
          peerValue: p99BeforeMs,
          note: 'below 1 = the roll costs latency; clients through the proxy, which retries GETs',
        }),
      );
    }
    // Everything behind the figures (traffic per phase, restarts, per-store deliveries), for the reader.
    ctx.log(`details: ${JSON.stringify(report)}`);
    return { results, summary: { ...report.summary } };
  },
};

export default suite;

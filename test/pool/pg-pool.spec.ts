import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  BallastPgPool,
  PoolExhaustedError,
  QueryTimeoutError,
  ballastPgDriver,
  histogramQuantile,
  withQueryBudget,
  type PoolLogger,
} from '@ballast/pool';
import pg from 'pg';
import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';

import { DATABASE_URL } from '../support/services.js';

@Entity({ name: 'ballast_pool_spec_note' })
class Note {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'text' })
  body!: string;
}

class CapturingLogger implements PoolLogger {
  readonly warnings: string[] = [];
  log(): void {}
  warn(message: string): void {
    this.warnings.push(message);
  }
  error(message: string): void {
    this.warnings.push(message);
  }
}

/** A separate connection that watches the server, outside every pool under test. */
const observer = new pg.Client({ connectionString: DATABASE_URL });

async function backends(applicationName: string): Promise<number[]> {
  const { rows } = await observer.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE application_name = $1 ORDER BY pid',
    [applicationName],
  );
  return rows.map((r) => r.pid);
}

async function until(condition: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let appCounter = 0;
const sources: DataSource[] = [];

async function dataSource(pool: Parameters<typeof ballastPgDriver>[0]['pool'], logger = new CapturingLogger()) {
  const applicationName = `ballast-pool-spec-${process.pid}-${++appCounter}`;
  const source = new DataSource({
    type: 'postgres',
    url: DATABASE_URL,
    applicationName,
    entities: [Note],
    synchronize: true,
    driver: ballastPgDriver({ name: `spec${appCounter}`, pool, logger, client: { statement_timeout: 10_000 } }),
  });
  await source.initialize();
  sources.push(source);
  const ours = (source.driver as unknown as { master: BallastPgPool }).master;
  return { source, pool: ours, applicationName, logger };
}

beforeAll(async () => {
  await observer.connect();
});

afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => (s.isInitialized ? s.destroy() : undefined)));
});

afterAll(async () => {
  await observer.end();
});

describe('BallastPgPool under TypeORM on real PostgreSQL', () => {
  it('is the pool TypeORM queries through, and runs ordinary repository work', async () => {
    const { source, pool } = await dataSource({ max: 4 });
    expect(pool).toBeInstanceOf(BallastPgPool);
    const repo = source.getRepository(Note);
    const saved = await repo.save(repo.create({ body: 'hello' }));
    expect(await repo.findOneByOrFail({ id: saved.id })).toMatchObject({ body: 'hello' });
    await repo.delete({ id: saved.id });
    expect(pool.resourcePool.stats().waitTime.count).toBeGreaterThan(2);
  });

  it('gives k of N+k concurrent holders PoolExhaustedError after the acquire timeout, with the numbers', async () => {
    const { source } = await dataSource({ max: 3, acquireTimeoutMs: 300 });
    const runners = Array.from({ length: 5 }, () => source.createQueryRunner());
    const outcomes = await Promise.allSettled(runners.map((r) => r.connect()));
    const failures = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason);
    expect(failures).toHaveLength(2);
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(PoolExhaustedError);
      expect(failure.message).toMatch(
        /no resource within 300 ms \(size 3\/3, used 3, idle 0, pending \d, waited \d+ ms\)/,
      );
    }
    await Promise.all(runners.map((r) => r.release()));
  });

  it('replaces a backend killed with pg_terminate_backend, and the next query succeeds', async () => {
    const { source, pool, applicationName, logger } = await dataSource({ min: 2, max: 2 });
    await until(async () => (await backends(applicationName)).length === 2);
    const before = await backends(applicationName);
    // No 'error' listener besides TypeORM's: ours must keep the process alive regardless.
    await observer.query('SELECT pg_terminate_backend($1)', [before[0]]);
    await until(() => pool.resourcePool.stats().errors.broken === 1);
    expect(logger.warnings.join('\n')).toMatch(/idle resource failed and was removed: terminating connection/);
    await until(async () => (await backends(applicationName)).length === 2);
    const after = await backends(applicationName);
    expect(after).not.toContain(before[0]);
    expect(after).toContain(before[1]);
    await expect(source.query('SELECT 1 AS ok')).resolves.toEqual([{ ok: 1 }]);
  });

  it('fails a query past its budget with QueryTimeoutError and frees its connection', async () => {
    const { source, pool, applicationName } = await dataSource({ max: 1 });
    const error = await withQueryBudget(source, 200, (manager) => manager.query('SELECT pg_sleep(3)')).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(QueryTimeoutError);
    expect((error as Error).message).toMatch(/exceeded its 200 ms budget.*statement_timeout/);
    expect(pool.resourcePool.stats()).toMatchObject({ used: 0, idle: 1, size: 1 });
    // The same connection is back, with the DataSource's default statement_timeout restored.
    const [{ statement_timeout }] = await source.query('SHOW statement_timeout');
    expect(statement_timeout).toBe('10s');
    expect(await backends(applicationName)).toHaveLength(1);
    await expect(
      withQueryBudget(source, 2_000, (manager) => manager.query('SELECT pg_sleep(0.05), 1 AS ok')),
    ).resolves.toEqual([{ pg_sleep: '', ok: 1 }]);
  });

  it('logs a leaked QueryRunner with the stack frame of the code that took it, and again when it returns', async () => {
    const { source, pool, logger } = await dataSource({ leakDetectionMs: 150, housekeepingIntervalMs: 25 });
    const runner = source.createQueryRunner();
    await runner.connect(); // the leak: nobody releases it in time
    await until(() => pool.resourcePool.stats().leaks === 1);
    const warning = logger.warnings.find((w) => w.includes('possible leak'))!;
    expect(warning).toMatch(/held for \d+ ms \(leakDetectionMs 150\)/);
    expect(warning).toMatch(/at .*test\/pool\/pg-pool\.spec\.ts:\d+/);
    expect(warning).toContain('PostgresQueryRunner.connect');
    await runner.release();
    expect(logger.warnings.at(-1)).toMatch(/came back after \d+ ms/);
  });

  it('recycles connections at max lifetime', async () => {
    const { source, applicationName } = await dataSource({
      min: 1,
      max: 1,
      maxLifetimeMs: 400,
      maxLifetimeJitter: 0,
      housekeepingIntervalMs: 50,
    });
    const [first] = await backends(applicationName);
    await until(async () => {
      const now = await backends(applicationName);
      return now.length === 1 && now[0] !== first;
    });
    await expect(source.query('SELECT 1 AS ok')).resolves.toEqual([{ ok: 1 }]);
  });

  it('closes every backend it opened when the DataSource is destroyed', async () => {
    const { source, applicationName } = await dataSource({ min: 3, max: 5 });
    await until(async () => (await backends(applicationName)).length === 3);
    await source.destroy();
    await until(async () => (await backends(applicationName)).length === 0);
  });
});

describe('BallastPgPool as a plain pg.Pool', () => {
  it('serves connect(), query() and end() as pg-pool does, and never crashes on an idle error without listeners', async () => {
    const applicationName = `ballast-pool-plain-${process.pid}`;
    const pool = new BallastPgPool({ connectionString: DATABASE_URL, application_name: applicationName, max: 2 });
    const client = await pool.connect();
    expect(pool.totalCount).toBe(1);
    await client.query('SELECT 1');
    client.release();
    expect(() => client.release()).toThrow(/already been released/);
    expect(pool.idleCount).toBe(1);
    const [pid] = await backends(applicationName);
    await observer.query('SELECT pg_terminate_backend($1)', [pid]);
    await until(() => pool.idleCount === 0);
    const { rows } = await pool.query('SELECT $1::int AS n', [7]);
    expect(rows).toEqual([{ n: 7 }]);
    await new Promise<void>((resolve, reject) => pool.end((e) => (e ? reject(e) : resolve())));
    expect(pool.ended).toBe(true);
    await until(async () => (await backends(applicationName)).length === 0);
  });
});

describe('load', () => {
  it('runs 5,000 concurrent operations through a pool of 50 with >= 99% inside the acquire timeout', async () => {
    const { source, pool } = await dataSource({ max: 50 });
    const waits: number[] = [];
    const started = performance.now();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 5_000 }, async () => {
        const asked = performance.now();
        const client = await pool.connect();
        waits.push(performance.now() - asked);
        try {
          await client.query('SELECT 1');
        } finally {
          client.release();
        }
      }),
    );
    const elapsed = performance.now() - started;
    const ok = outcomes.filter((o) => o.status === 'fulfilled').length;
    waits.sort((a, b) => a - b);
    const pick = (q: number) => waits[Math.min(waits.length - 1, Math.floor(q * waits.length))]!;
    const stats = pool.resourcePool.stats();
    console.log(
      `[pool load] 5000 ops through 50 connections in ${elapsed.toFixed(0)} ms: ${ok} ok; ` +
        `acquire wait p50 ${pick(0.5).toFixed(2)} ms, p99 ${pick(0.99).toFixed(2)} ms ` +
        `(histogram estimate p50 ${histogramQuantile(stats.waitTime, 0.5).toFixed(2)} ms, ` +
        `p99 ${histogramQuantile(stats.waitTime, 0.99).toFixed(2)} ms); connections opened ${stats.created}`,
    );
    expect(ok / 5_000).toBeGreaterThanOrEqual(0.99);
    expect(stats.size).toBeLessThanOrEqual(50);
    expect(await source.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });
});

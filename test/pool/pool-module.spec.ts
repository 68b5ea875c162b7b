import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  BallastCoreModule,
  enableAdmissionControl,
  HealthContributorRegistry,
  PerformanceService,
  ServingCapacityRegistry,
} from '@ballast/core';
import { expectNoNewHandles, snapshotHandles } from '@ballast/core/testing';
import {
  InjectPoolDataSource,
  PoolClosedError,
  PoolModule,
  PoolRegistry,
  QueryTimeoutError,
  poolOptions,
  type PoolModuleOptions,
} from '@ballast/pool';
import { Injectable, Logger, type INestApplication } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import pg from 'pg';
import { Registry } from 'prom-client';
import request from 'supertest';
import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';

import { DATABASE_URL, REDIS_URL } from '../support/services.js';

@Entity({ name: 'ballast_pool_module_ticket' })
class Ticket {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'text' })
  title!: string;
}

@Injectable()
class TicketReader {
  constructor(@InjectPoolDataSource('main') readonly dataSource: DataSource) {}
}

const observer = new pg.Client({ connectionString: DATABASE_URL });
let appName = 0;

async function backends(applicationPrefix: string): Promise<number> {
  const { rows } = await observer.query<{ n: string }>(
    "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE $1 || '%'",
    [applicationPrefix],
  );
  return Number(rows[0]!.n);
}

/** The backend count once it reaches `expected`, or whatever it is after 5 s: pools fill and drain in the background. */
async function backendsSettled(applicationPrefix: string, expected: number): Promise<number> {
  const deadline = Date.now() + 5_000;
  let n = await backends(applicationPrefix);
  while (n !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    n = await backends(applicationPrefix);
  }
  return n;
}

let upstream: Server;
let upstreamUrl: string;

beforeAll(async () => {
  await observer.connect();
  upstream = createServer((req, res) => {
    res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'text/plain' });
    res.end('ok');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await observer.end();
  await new Promise((resolve) => upstream.close(resolve));
});

let app: INestApplication | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
  jest.restoreAllMocks();
});

async function start(
  options: PoolModuleOptions,
  extra: { schedule?: boolean; listen?: boolean; injectDataSource?: boolean } = {},
) {
  const moduleRef = await Test.createTestingModule({
    imports: [
      BallastCoreModule.forRoot({ performanceApi: { enabled: true }, metrics: { defaultMetrics: false } }),
      ...(extra.schedule === false ? [] : [ScheduleModule.forRoot()]),
      PoolModule.forRoot(options),
    ],
    providers: extra.injectDataSource === false ? [] : [TicketReader],
  }).compile();
  app = moduleRef.createNestApplication({ logger: false });
  if (extra.listen) await app.listen(0, '127.0.0.1');
  else await app.init();
  return app;
}

function mainDatabase(overrides: Record<string, unknown> = {}) {
  const applicationName = `ballast-module-${process.pid}-${++appName}`;
  return {
    applicationName,
    options: {
      databases: {
        main: {
          url: DATABASE_URL,
          applicationName,
          minSize: 2,
          typeorm: { entities: [Ticket], synchronize: true },
          ...overrides,
        },
      },
    } satisfies PoolModuleOptions,
  };
}

describe('PoolModule', () => {
  it('opens a TypeORM DataSource on our pool, injectable by name, and serves metrics, health and the report', async () => {
    const { options } = mainDatabase();
    const started = await start(
      {
        ...options,
        redis: { cache: { url: REDIS_URL } },
        http: { upstream: { origin: upstreamUrl, healthPath: '/health' } },
      },
      { listen: true },
    );
    const pools = started.get(PoolRegistry);
    const dataSource = started.get(TicketReader).dataSource;
    expect(dataSource).toBe(pools.dataSource('main'));
    const repo = dataSource.getRepository(Ticket);
    const saved = await repo.save(repo.create({ title: 'printer on fire' }));
    expect((await repo.findOneByOrFail({ id: saved.id })).title).toBe('printer on fire');
    expect(await pools.redis('cache').ping()).toBe('PONG');
    const response = await pools.http('upstream').request({ path: '/health', method: 'GET' });
    expect(await response.body.text()).toBe('ok');

    const metrics = (await request(started.getHttpServer()).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(
      /db_client_connection_count\{db_client_connection_pool_name="main",ballast_pool_kind="database",state="idle"\} \d+/,
    );
    expect(metrics).toMatch(
      /db_client_connection_wait_time_seconds_bucket\{db_client_connection_pool_name="main",ballast_pool_kind="database",le="0.00001"\} \d+/,
    );
    // Two requests: the start-up health probe and ours.
    expect(metrics).toMatch(
      /db_client_connection_use_time_seconds_count\{db_client_connection_pool_name="upstream",ballast_pool_kind="http"\} 2/,
    );
    expect(metrics).toMatch(/ballast_redis_connection_state\{client="cache",state="ready"\} 1/);
    expect(metrics).toContain(
      'db_client_connection_max{db_client_connection_pool_name="main",ballast_pool_kind="database"} 10',
    );

    const checks = await Promise.all(
      started
        .get(HealthContributorRegistry)
        .checks('readiness')
        .map((check) => check()),
    );
    const merged = Object.assign({}, ...checks);
    expect(merged['database:main']).toMatchObject({ status: 'up', size: 2, max: 10 });
    expect(merged['redis:cache']).toMatchObject({ status: 'up', state: 'ready' });
    expect(merged['http:upstream']).toMatchObject({ status: 'up' });

    const report = await started.get(PerformanceService).report();
    const names = report.sections.pools!.map((p) => p.name).sort();
    expect(names).toEqual(['database:main', 'http:upstream', 'redis:cache']);
    const main = report.sections.pools!.find((p) => p.name === 'database:main')!;
    expect(main.metrics).toMatchObject({ max: 10, server_limit: expect.any(Number) });
  });

  it('declares what each database pool takes at once (maxSize + maxWaiters), which admission control never sheds below', async () => {
    const { options } = mainDatabase({ minSize: 0, maxSize: 4, maxWaiters: 30 });
    const started = await start(options);
    const capacity = started.get(ServingCapacityRegistry);
    expect(capacity.list()).toEqual([{ name: 'database:main', concurrent: 34 }]);
    // A lower minLimit is raised to it; floorFromPools: false keeps the option as given.
    const noEnv = { env: { get: () => undefined } };
    const control = enableAdmissionControl(started, { minLimit: 5, initialLimit: 10 }, noEnv);
    expect(control.servingCapacity).toBe(34);
    expect(control.limiter.snapshot()).toMatchObject({ minLimit: 34, limit: 34 });
    control.disable();
    const off = enableAdmissionControl(started, { minLimit: 5, initialLimit: 10, floorFromPools: false }, noEnv);
    expect(off.limiter.snapshot()).toMatchObject({ minLimit: 5, limit: 10 });
    off.disable();
    await started.close();
    app = undefined;
    expect(capacity.total()).toBe(0);
  });

  it('answers the database health check on its reserved connection while the pool is saturated, as degraded', async () => {
    const { options } = mainDatabase({ minSize: 1, maxSize: 2, acquireTimeoutMs: 5_000 });
    const started = await start(options);
    const pool = started.get(PoolRegistry).database('main').resourcePool;
    const held = [await pool.acquire(), await pool.acquire()];
    const waiting = pool.acquire().catch((e: unknown) => e);
    const [result] = await Promise.all(
      started
        .get(HealthContributorRegistry)
        .checks('readiness')
        .map((c) => c()),
    );
    expect(result!['database:main']).toMatchObject({
      status: 'degraded',
      reason: expect.stringMatching(/utilisation 100% \(2\/2 in use\)/),
    });
    for (const lease of held) lease.release();
    await waiting.then((lease) => (lease as { release(): void }).release());
  });

  it('runs analytics queries on their own budget and raises QueryTimeoutError past it', async () => {
    const { options } = mainDatabase({ analyticsQueryTimeoutMs: 150, queryTimeoutMs: 10_000 });
    const database = (await start(options)).get(PoolRegistry).database('main');
    await expect(database.analytics((manager) => manager.query('SELECT pg_sleep(2)'))).rejects.toBeInstanceOf(
      QueryTimeoutError,
    );
    await expect(database.analytics((manager) => manager.query('SELECT 1 AS ok'))).resolves.toEqual([{ ok: 1 }]);
  });

  it('fails start-up with the pool name and a redacted URL when the database does not answer', async () => {
    const error = await start({
      databases: { main: { url: 'postgres://app:s3cret-pw@127.0.0.1:1/nowhere', connectTimeoutMs: 1_000 } },
    }).catch((e: unknown) => e);
    app = undefined;
    expect((error as Error).message).toMatch(
      /PoolModule: database pool "main" \(postgres:\/\/app:\[REDACTED\]@127\.0\.0\.1:1\/nowhere\) did not answer at start-up: .*ECONNREFUSED/,
    );
    expect((error as Error).message).not.toContain('s3cret-pw');
  });

  it('retries start-up with backoff when configured', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const error = await start({
      databases: { main: { url: 'postgres://app@127.0.0.1:1/nowhere', connectTimeoutMs: 500 } },
      startup: { retries: 2, retryDelayMs: 20 },
    }).catch((e: unknown) => e);
    app = undefined;
    expect((error as Error).message).toContain('did not answer at start-up');
    const retries = warn.mock.calls.filter(([message]) => String(message).includes('retrying in'));
    expect(retries).toHaveLength(2);
    expect(String(retries[0]![0])).toMatch(/attempt 1 of 3/);
  });

  it('stops start-up on bad options with the module, option, value and what is allowed', () => {
    expect(() => poolOptions.parse({ defaults: { database: { maxSize: 0 } } })).toThrow(
      /PoolModule: invalid options[\s\S]*defaults\.database\.maxSize \(env DB_POOL_MAX_SIZE\) = 0: .*>=1/,
    );
    expect(() => poolOptions.parse({ databases: { main: { url: 'x', minSize: 9, maxSize: 3 } } })).toThrow(
      /databases\.main\.minSize.*must not exceed databases\.main\.maxSize \(3\)/,
    );
    expect(
      poolOptions.fromEnv({ get: (name) => ({ DB_POOL_MAX_SIZE: '25', ANALYTICS_QUERY_TIMEOUT_MS: '5000' })[name] }),
    ).toEqual({
      defaults: { database: { maxSize: 25, analyticsQueryTimeoutMs: 5_000 } },
    });
  });

  it('on shutdown turns readiness down, refuses new acquires, waits for leases, logs holders, then closes', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { options } = mainDatabase({ leakDetectionMs: 60_000 });
    const started = await start({ ...options, shutdown: { drainTimeoutMs: 300 } });
    const pools = started.get(PoolRegistry);
    const health = started.get(HealthContributorRegistry);
    const pool = pools.database('main').resourcePool;
    const lease = await pool.acquire(); // never released: the holder must be named at shutdown
    pools.beforeApplicationShutdown();
    const [ready] = await Promise.all(health.checks('readiness').map((c) => c()));
    expect(ready!['database:main']).toMatchObject({ status: 'down', reason: 'shutting down' });
    const closing = started.close();
    app = undefined;
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(pool.acquire()).rejects.toBeInstanceOf(PoolClosedError);
    await closing;
    const logged = warn.mock.calls.map(([m]) => String(m)).join('\n');
    expect(logged).toMatch(/1 lease\(s\) still out after 300 ms/);
    expect(logged).toContain('pool-module.spec.ts');
    expect(lease.released).toBe(true);
  });

  it('leaves the server back at its baseline and no handle of ours open after app.close()', async () => {
    const { options, applicationName } = mainDatabase({ minSize: 3 });
    const baseline = await backends(applicationName);
    const snapshot = snapshotHandles();
    const started = await start(
      {
        ...options,
        redis: { cache: { url: REDIS_URL, minSize: 1 } },
        http: { upstream: { origin: upstreamUrl } },
      },
      { listen: true },
    );
    const pools = started.get(PoolRegistry);
    await pools.dataSource('main').query('SELECT 1');
    await pools.redisConnection('cache').blocking.use((c) => c.ping());
    await (await pools.http('upstream').request({ path: '/', method: 'GET' })).body.dump();
    await request(started.getHttpServer()).get('/metrics').expect(200);
    // 3 pooled + 1 reserved health connection.
    expect(await backendsSettled(applicationName, baseline + 4)).toBe(baseline + 4);
    await started.close();
    app = undefined;
    expect(await backendsSettled(applicationName, baseline)).toBe(baseline);
    await expectNoNewHandles(snapshot);
  });

  it('measures and drains a DataSource the app builds itself with pools.pgDriver() (use: external)', async () => {
    const { options, applicationName } = mainDatabase({ use: 'external', typeorm: undefined });
    const started = await start(options, { injectDataSource: false });
    const database = started.get(PoolRegistry).database('main');
    expect(() => database.pgPool).toThrow(/has no pool yet \(use: external\)/);
    // What TypeOrmModule.forRootAsync({ inject: [PoolRegistry], useFactory: ... }) would build.
    const own = new DataSource({ ...database.dataSourceOptions(), entities: [Ticket] });
    await own.initialize();
    await own.query('SELECT 1');
    expect(database.pgPool.resourcePool.stats().waitTime.count).toBeGreaterThan(0);
    const report = await started.get(PerformanceService).report();
    expect(report.sections.pools!.map((p) => p.name)).toContain('database:main');
    expect(await backends(applicationName)).toBeGreaterThan(0);
    await started.close();
    app = undefined;
    expect(own.isInitialized).toBe(true); // the app's DataSource object, but its pool is closed...
    await own.destroy(); // ...and destroying it afterwards is harmless
    expect(await backends(applicationName)).toBe(0);
  });

  it('opens a bare pg pool with use: pg', async () => {
    const { options } = mainDatabase({ use: 'pg', typeorm: undefined });
    const database = (await start(options, { injectDataSource: false })).get(PoolRegistry).database('main');
    const { rows } = await database.pgPool.query('SELECT 41 + 1 AS answer');
    expect(rows).toEqual([{ answer: 42 }]);
    expect(() => database.getDataSource()).toThrow(/no DataSource of Ballast's \(use: pg\)/);
  });

  it('can be built twice on one metrics registry and works without ScheduleModule', async () => {
    const registry = new Registry();
    const build = async (name: string) => {
      const moduleRef = await Test.createTestingModule({
        imports: [
          BallastCoreModule.forRoot({ metrics: { registry, defaultMetrics: false } }),
          PoolModule.forRoot({ databases: { [name]: { url: DATABASE_URL, minSize: 0 } } }),
        ],
      }).compile();
      return moduleRef.createNestApplication({ logger: false }).init();
    };
    const first = await build('first');
    const second = await build('second');
    try {
      await second.get(PoolRegistry).dataSource('second').query('SELECT 1');
      const text = await registry.metrics();
      expect(text.match(/# TYPE db_client_connection_count gauge/g)).toHaveLength(1);
      expect(text).toContain('db_client_connection_pool_name="first"');
      expect(text).toContain('db_client_connection_pool_name="second"');
      await first.close();
      expect(await registry.metrics()).not.toContain('db_client_connection_pool_name="first"');
    } finally {
      await first.close();
      await second.close();
    }
  });
});

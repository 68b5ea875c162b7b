import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { BallastCoreModule, METRICS_REGISTRY, ReporterRegistry, type MetricsRegistry } from '@ballast/core';
import { PoolModule, PoolRegistry, type PoolModuleOptions } from '@ballast/pool';
import { Logger, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import pg from 'pg';

import { DATABASE_URL, REDIS_URL } from '../support/services.js';
import { PrivateRedis } from '../support/private-redis.js';

const apps: INestApplication[] = [];
const observer = new pg.Client({ connectionString: DATABASE_URL });
let usable: number;
let maxConnections: number;

beforeAll(async () => {
  await observer.connect();
  const { rows } = await observer.query<{ max: number; superuser: number; privileged: number }>(
    `SELECT current_setting('max_connections')::int AS max,
            current_setting('superuser_reserved_connections')::int AS superuser,
            coalesce(current_setting('reserved_connections', true), '0')::int AS privileged`,
  );
  maxConnections = rows[0]!.max;
  usable = rows[0]!.max - rows[0]!.superuser - rows[0]!.privileged;
});

afterAll(async () => {
  await observer.end();
});

afterEach(async () => {
  for (const app of apps.splice(0).reverse()) await app.close();
  jest.restoreAllMocks();
});

async function start(options: PoolModuleOptions): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      BallastCoreModule.forRoot({ performanceApi: { enabled: true }, metrics: { defaultMetrics: false } }),
      PoolModule.forRoot(options),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  apps.push(app);
  return app;
}

/** `metric{...pool="name"...} value` from the app's registry, or undefined when the series is absent. */
async function metric(app: INestApplication, name: string, pool: string): Promise<number | undefined> {
  const text = await app.get<MetricsRegistry>(METRICS_REGISTRY).metrics();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && l.includes(`db_client_connection_pool_name="${pool}"`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

function database(maxSize: number): PoolModuleOptions['databases'] {
  return {
    main: { url: DATABASE_URL, use: 'pg', minSize: 0, maxSize, applicationName: `ballast-fleet-${process.pid}` },
  };
}

const warnings = () => {
  const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  return () => warn.mock.calls.map(([m]) => String(m));
};

describe('fleet-wide connection budget', () => {
  it("reads max_connections minus reserved slots, caps each instance's share and warns once when instances x max exceed it", async () => {
    const logged = warnings();
    const instances = 3;
    const max = Math.floor(usable / instances) + 5; // 3 x (max + 1) is above the limit
    const app = await start({ databases: database(max), fleet: { instances, discovery: false } });
    const share = Math.floor(usable / instances) - 1;

    expect(usable).toBeLessThan(maxConnections); // the server reserves superuser slots
    expect(await metric(app, 'ballast_pool_server_connection_limit', 'main')).toBe(usable);
    expect(await metric(app, 'ballast_pool_fleet_instances', 'main')).toBe(instances);
    expect(await metric(app, 'ballast_pool_fleet_max_size', 'main')).toBe(share);

    const lines = logged().filter((m) => m.includes('database:main'));
    expect(lines).toEqual([
      `database:main: ${instances} instance(s) x (max ${max} + 1 outside the pool) = ${instances * (max + 1)} connections exceed postgres:127.0.0.1:5432's limit of ${usable} (max_connections ${maxConnections} - ${maxConnections - usable} reserved); set databases.main.maxSize to at most ${share} or raise the server's limit`,
    ]);

    const report = await app
      .get(ReporterRegistry)
      .list('pool')
      .find((r) => r.name === 'database:main')!
      .report();
    expect(report.metrics).toMatchObject({ server_limit: usable, fleet_instances: instances, fleet_max_size: share });
    const lower = report.recommendations.find((r) => r.setting?.name === 'databases.main.maxSize')!;
    expect(lower.setting).toEqual({ name: 'databases.main.maxSize', current: max, suggested: share });
    expect(instances * (Number(lower.setting!.suggested) + 1)).toBeLessThanOrEqual(usable);
  });

  it('stays quiet when the fleet fits', async () => {
    const logged = warnings();
    const app = await start({ databases: database(5), fleet: { instances: 3, discovery: false } });
    expect(await metric(app, 'ballast_pool_fleet_max_size', 'main')).toBe(Math.floor(usable / 3) - 1);
    expect(logged().filter((m) => m.includes('exceed'))).toEqual([]);
  });

  it('counts the instances that share a server through Redis, the option being the floor', async () => {
    const options = (instances: number): PoolModuleOptions => ({
      databases: database(5),
      redis: { cache: { url: REDIS_URL } },
      fleet: { instances, heartbeatMs: 200 },
    });
    const first = await start(options(1));
    expect(await metric(first, 'ballast_pool_fleet_instances', 'main')).toBe(1);
    const second = await start(options(1));
    const third = await start(options(1));
    // A newcomer counts the instances already there at once; the others learn it at their next heartbeat.
    expect(await metric(third, 'ballast_pool_fleet_instances', 'main')).toBe(3);
    expect(await metric(third, 'ballast_pool_fleet_instances', 'cache')).toBe(3);
    await until(async () => (await metric(first, 'ballast_pool_fleet_instances', 'main')) === 3);
    expect(await metric(first, 'ballast_pool_fleet_max_size', 'main')).toBe(Math.floor(usable / 3) - 1);

    // One leaves (closing withdraws its announcement): the rest count two again.
    await second.close();
    apps.splice(apps.indexOf(second), 1);
    await until(async () => (await metric(first, 'ballast_pool_fleet_instances', 'main')) === 2);
    // The option is a floor: discovery never lowers the count below it.
    const floored = await start(options(5));
    expect(await metric(floored, 'ballast_pool_fleet_instances', 'main')).toBe(5);
    expect(third.get(PoolRegistry).fleet.instanceId).not.toBe(first.get(PoolRegistry).fleet.instanceId);
  });

  it('stops counting an instance that died without leaving after three missed heartbeats', async () => {
    const redis = new Redis(REDIS_URL);
    try {
      const app = await start({
        databases: database(5),
        redis: { cache: { url: REDIS_URL } },
        fleet: { heartbeatMs: 200 },
      });
      // A dead instance: an announcement nobody renews, expiring 600 ms from now.
      await redis.zadd('ballast:fleet:postgres:127.0.0.1:5432', Date.now() + 600, 'dead-instance');
      await until(async () => (await metric(app, 'ballast_pool_fleet_instances', 'main')) === 2);
      await until(async () => (await metric(app, 'ballast_pool_fleet_instances', 'main')) === 1);
    } finally {
      await redis.quit();
    }
  });
});

describe('Redis maxclients', () => {
  let limited: PrivateRedis;
  let refusing: PrivateRedis;

  beforeAll(async () => {
    limited = await PrivateRedis.start(['--maxclients', '20']);
    refusing = await PrivateRedis.start(['--rename-command', 'CONFIG', '']);
  });

  afterAll(async () => {
    await limited.kill();
    await refusing.kill();
  });

  it('reads maxclients, caps the blocking pool at its share and warns when the fleet would exceed it', async () => {
    const logged = warnings();
    const app = await start({
      redis: { jobs: { url: limited.url, maxSize: 10 } },
      fleet: { instances: 2, discovery: false },
    });
    expect(await metric(app, 'ballast_pool_server_connection_limit', 'jobs')).toBe(20);
    expect(await metric(app, 'ballast_pool_fleet_max_size', 'jobs')).toBe(9); // 20 / 2 - the shared client
    expect(logged().filter((m) => m.includes('redis:jobs'))).toEqual([
      `redis:jobs: 2 instance(s) x (max 10 + 1 outside the pool) = 22 connections exceed redis:127.0.0.1:${limited.port}'s limit of 20 (maxclients 20); set redis.jobs.maxSize to at most 9 or raise the server's limit`,
    ]);
  });

  it('tolerates CONFIG being refused: starts, says so once, reports no limit', async () => {
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const logged = warnings();
    const app = await start({
      redis: { jobs: { url: refusing.url, maxSize: 10 } },
      fleet: { instances: 50, discovery: false },
    });
    expect(await app.get(PoolRegistry).redis('jobs').ping()).toBe('PONG');
    expect(await metric(app, 'ballast_pool_server_connection_limit', 'jobs')).toBeUndefined();
    expect(await metric(app, 'ballast_pool_fleet_instances', 'jobs')).toBe(50);
    const said = log.mock.calls.map(([m]) => String(m)).filter((m) => m.includes('maxclients unknown'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^Redis "jobs": maxclients unknown \(ERR unknown command/);
    expect(logged().filter((m) => m.includes('exceed'))).toEqual([]);
  });
});

async function until(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

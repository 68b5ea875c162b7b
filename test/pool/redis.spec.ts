import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { BallastCoreModule, HealthContributorRegistry } from '@ballast/core';
import { expectNoNewHandles, snapshotHandles } from '@ballast/core/testing';
import { PoolModule, PoolRegistry, type PoolModuleOptions } from '@ballast/pool';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';

import { REDIS_URL } from '../support/services.js';

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A redis-server of this test's own, so stopping it never touches the shared one. */
class PrivateRedis {
  private child: ChildProcess | undefined;
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
    });
    child.stdout!.resume();
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
}

async function until(condition: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

let app: INestApplication | undefined;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
});

afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUnhandled);
});

afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start(redis: PoolModuleOptions['redis']) {
  const moduleRef = await Test.createTestingModule({
    imports: [
      BallastCoreModule.forRoot({ metrics: { defaultMetrics: false } }),
      PoolModule.forRoot({ redis, health: { timeoutMs: 500 } }),
    ],
  }).compile();
  app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return { pools: app.get(PoolRegistry), health: app.get(HealthContributorRegistry) };
}

async function check(health: HealthContributorRegistry, key: string) {
  const results = await Promise.all(health.checks('readiness').map((c) => c()));
  return Object.assign({}, ...results)[key] as { status: string; message?: string; reason?: string };
}

describe('Redis clients on the real Redis', () => {
  it('counts a reconnect after CLIENT KILL and keeps serving', async () => {
    const { pools } = await start({ cache: { url: REDIS_URL, reconnectInitialMs: 20, reconnectMaxMs: 100 } });
    const connection = pools.redisConnection('cache');
    const id = await connection.client.client('ID');
    const admin = new Redis(REDIS_URL);
    try {
      await admin.client('KILL', 'ID', String(id));
    } finally {
      admin.disconnect();
    }
    await until(() => connection.clientStats().reconnects === 1);
    expect(connection.clientStats()).toMatchObject({ state: 'ready', reconnects: 1 });
    expect(connection.clientStats().reconnectAttempts).toBeGreaterThanOrEqual(1);
    expect(await connection.client.ping()).toBe('PONG');
  });

  it('reports degraded when used_memory is above the configured threshold', async () => {
    const { health } = await start({ cache: { url: REDIS_URL, memoryThresholdBytes: 1 } });
    const result = await check(health, 'redis:cache');
    expect(result).toMatchObject({
      status: 'degraded',
      reason: expect.stringMatching(/^used_memory \d+ B is above the threshold of 1 B$/),
    });
  });

  it('runs blocking commands on dedicated connections, free of the command timeout', async () => {
    const { pools } = await start({ cache: { url: REDIS_URL, commandTimeoutMs: 100, maxSize: 2 } });
    const connection = pools.redisConnection('cache');
    const key = `ballast:pool:spec:${process.pid}`;
    const popped = connection.blocking.use((c) => c.blpop(key, 1));
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The shared client still answers while BLPOP blocks a dedicated connection past the command timeout.
    expect(await connection.client.ping()).toBe('PONG');
    await connection.client.rpush(key, 'job-1');
    expect(await popped).toEqual([key, 'job-1']);
    expect(connection.blocking.stats()).toMatchObject({ used: 0, idle: 1 });
  });
});

describe('Redis outage on a private redis-server', () => {
  let server: PrivateRedis;

  beforeAll(async () => {
    server = new PrivateRedis(await freePort());
    await server.start();
  });

  afterAll(async () => {
    await server.stop();
  });

  it('goes down within its timeout, fails commands fast without unhandled errors, and recovers', async () => {
    unhandled.length = 0;
    const { pools, health } = await start({
      outage: {
        url: server.url,
        reconnectInitialMs: 20,
        reconnectMaxMs: 200,
        commandTimeoutMs: 300,
        connectTimeoutMs: 300,
        // Critical, so its outage is `down`; by default a Redis client is not (degraded, 200).
        critical: true,
      },
    });
    const client = pools.redis('outage');
    expect(await check(health, 'redis:outage')).toMatchObject({ status: 'up' });

    await server.stop();
    await until(() => client.status !== 'ready');
    const askedAt = performance.now();
    const down = await check(health, 'redis:outage');
    const checkMs = performance.now() - askedAt;
    expect(down.status).toBe('down');
    // Bounded by the check's own 500 ms timeout; generous margin for a shared machine.
    expect(checkMs).toBeLessThan(1_500);

    const failedAt = performance.now();
    const failure = await client.get('anything').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Error);
    expect(performance.now() - failedAt).toBeLessThan(1_000);

    await server.start();
    await until(async () => (await check(health, 'redis:outage')).status === 'up');
    expect(await client.set('back', '1')).toBe('OK');
    expect(pools.redisConnection('outage').clientStats().reconnects).toBeGreaterThanOrEqual(1);
    expect(pools.redisConnection('outage').clientStats().reconnectAttempts).toBeGreaterThanOrEqual(1);
    expect(unhandled).toEqual([]);
  });

  it('fails start-up fast with the client name and redacted URL when Redis is not there, leaving nothing open', async () => {
    const port = await freePort();
    const snapshot = snapshotHandles();
    const error = await start({
      nowhere: { url: `redis://:pw-secret@127.0.0.1:${port}`, connectTimeoutMs: 300 },
    }).catch((e: unknown) => e);
    app = undefined;
    expect((error as Error).message).toMatch(
      /Redis client "nowhere" \(redis:\/\/:\[REDACTED\]@127\.0\.0\.1:\d+\) did not answer at start-up/,
    );
    expect((error as Error).message).not.toContain('pw-secret');
    await expectNoNewHandles(snapshot);
  });
});

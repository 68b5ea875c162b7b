import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BallastCoreModule } from '@ballast/core';
import { CacheModule, CacheRegistry, type AsyncTTLCache, type CacheModuleOptions } from '@ballast/cache';
import type { INestApplication } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';

import { DelayingProxy } from '../support/delaying-proxy.js';
import { REDIS_URL } from '../support/services.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > timeoutMs) throw new Error(`not ${what} within ${timeoutMs} ms`);
    await sleep(2);
  }
}

interface Instance {
  app: INestApplication;
  cache: AsyncTTLCache<unknown>;
}

/** One app instance: its own Nest app and L1, sharing Redis with the others. */
async function startInstance(l2: CacheModuleOptions['l2']): Promise<Instance> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ScheduleModule.forRoot(),
      BallastCoreModule.forRoot({ metrics: { defaultMetrics: false } }),
      CacheModule.forRoot({ ttlMs: 60_000, caches: { tickets: { maxEntries: 1_000 } }, l2 }),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  const cache = app.get(CacheRegistry).get('tickets');
  await until(() => cache.l2Status === 'up', 5_000, 'linked to Redis');
  return { app, cache };
}

const ROUNDS = 200;

/** Invalidations A published since the instances started (each write of A publishes one). */
let publishedByA = 0;

/**
 * Sets `key` on A and has B hold it in L1, once B heard every invalidation A sent so far (a late
 * one would drop the copy, and a write after it would then find nothing stale to serve).
 */
async function primeB(a: Instance, b: Instance, key: string, value: unknown, tags?: string[]): Promise<void> {
  await a.cache.set(key, value, { tags });
  publishedByA++;
  await until(() => b.cache.stats().remoteInvalidations === publishedByA, 1_000, 'every invalidation heard on B');
  expect(await b.cache.get(key)).toBe(value);
  expect(b.cache.peek(key)).toBe(value);
}

/**
 * Each round: B holds the current value in L1, A writes, and B reads right after A's write
 * resolved. Returns the rounds in which B still answered the old value.
 */
async function staleReadsAfterWrites(a: Instance, b: Instance, write: 'set' | 'delete'): Promise<number> {
  let stale = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const key = `ticket:${write}`;
    await primeB(a, b, key, round);
    if (write === 'set') {
      await a.cache.set(key, round + 0.5);
      publishedByA++;
      if ((await b.cache.get(key)) !== round + 0.5) stale++;
    } else {
      await a.cache.delete(key);
      publishedByA++;
      if ((await b.cache.get(key)) !== undefined) stale++;
    }
  }
  return stale;
}

/** B hears Redis this much later than A: without acks, A's write resolves before B has dropped its copy. */
const B_LINK_DELAY_MS = 5;

describe('L2 read-your-writes across two app instances', () => {
  const prefix = `test:cache:${randomUUID()}:`;
  const l2 = {
    enabled: true,
    url: REDIS_URL,
    keyPrefix: prefix,
    channel: `${prefix}invalidate`,
    readYourWrites: true,
    // Generous on a loaded machine: a timeout would show as a stale read and in the counter.
    ackTimeoutMs: 2_000,
    // B's commands go through the delaying proxy too: a read must not give up before it answers.
    commandTimeoutMs: 1_000,
  };
  let a: Instance;
  let b: Instance;
  let slowLink: DelayingProxy;

  beforeAll(async () => {
    const redis = new URL(REDIS_URL);
    slowLink = await DelayingProxy.start(redis.hostname, Number(redis.port || 6379), B_LINK_DELAY_MS);
    redis.host = `127.0.0.1:${slowLink.port}`;
    a = await startInstance(l2);
    b = await startInstance({ ...l2, url: redis.toString() });
  });

  afterAll(async () => {
    const inspect = new Redis(REDIS_URL);
    const leftovers = await inspect.keys(`${prefix}*`);
    if (leftovers.length) await inspect.del(...leftovers);
    await inspect.quit();
    await a?.app.close();
    await b?.app.close();
    await slowLink?.close();
  });

  it(`after an awaited set on A, B never reads the old value (${ROUNDS} rounds)`, async () => {
    expect(await staleReadsAfterWrites(a, b, 'set')).toBe(0);
    expect(a.cache.stats().invalidationAckTimeouts).toBe(0);
  });

  it(`after an awaited delete on A, B never reads the deleted value (${ROUNDS} rounds)`, async () => {
    expect(await staleReadsAfterWrites(a, b, 'delete')).toBe(0);
    expect(a.cache.stats().invalidationAckTimeouts).toBe(0);
  });

  it('after awaited prefix, tag and clear invalidations on A, B holds none of the dropped keys', async () => {
    for (const [drop, key] of [
      [() => a.cache.invalidatePrefix('p:'), 'p:1'],
      [() => a.cache.invalidateTags('t'), 'tagged:1'],
      [() => a.cache.clear(), 'any:1'],
    ] as const) {
      await primeB(a, b, key, 'old', ['t']);
      await drop();
      publishedByA++;
      expect(b.cache.peek(key)).toBeUndefined();
    }
  });

  it('a writer waits for acks only as long as ackTimeoutMs when an instance never answers, and counts it', async () => {
    // A bare subscriber on the channel counts as a receiver but never acknowledges.
    const mute = new Redis(REDIS_URL);
    await mute.subscribe(l2.channel);
    try {
      const before = a.cache.stats().invalidationAckTimeouts;
      await a.cache.set('ticket:mute', 1);
      expect(a.cache.stats().invalidationAckTimeouts).toBe(before + 1);
    } finally {
      mute.disconnect();
    }
  });

  it('rejects an invalid ack timeout at start-up, naming the option', async () => {
    await expect(startInstance({ ...l2, ackTimeoutMs: 0 })).rejects.toThrow(/l2\.ackTimeoutMs/);
  });
});

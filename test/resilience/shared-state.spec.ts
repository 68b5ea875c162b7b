import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { expectNoNewHandles, snapshotHandles, type HandleSnapshot } from '@ballast/core/testing';
import { BreakerOpenError, BreakerRegistry, type ResilienceModuleOptions } from '@ballast/resilience';
import type { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import request from 'supertest';

import { PrivateRedis } from '../support/private-redis.js';
import { startApp } from './resilience-test.app.js';

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return Date.now() - started;
}

const connected = async (app: INestApplication) =>
  (await request(app.getHttpServer()).get('/health/ready')).body.details?.['resilience:breakers']
    ?.sharedStateConnected === true;

describe('shared breaker state through Redis, two instances', () => {
  let redis: PrivateRedis;
  let a: INestApplication;
  let b: INestApplication;
  let handles: HandleSnapshot;

  const options = (instanceId: string): ResilienceModuleOptions => ({
    breaker: { minimumCalls: 2, windowSize: 2, openDurationMs: 300, halfOpenTrials: 1, halfOpenSuccesses: 1 },
    sharedState: { enabled: true, redisUrl: redis.url, instanceId },
  });

  beforeAll(async () => {
    handles = snapshotHandles();
    redis = await PrivateRedis.start();
    a = await startApp(options('instance-a'));
    b = await startApp(options('instance-b'));
    await until(async () => (await connected(a)) && (await connected(b)), 5_000);
  });

  afterAll(async () => {
    await redis.kill();
    await a?.close();
    await b?.close();
  });

  it('opens the breaker of the other instance within a second, and closes it when the opener recovers', async () => {
    const payA = a.get(BreakerRegistry).get('payments');
    const payB = b.get(BreakerRegistry).get('payments');
    await payA.execute(() => Promise.reject(new Error('upstream down'))).catch(() => undefined);
    await payA.execute(() => Promise.reject(new Error('upstream down'))).catch(() => undefined);
    expect(payA.state).toBe('open');
    const tookMs = await until(() => payB.state === 'open', 1_000);
    expect(tookMs).toBeLessThanOrEqual(1_000);
    await expect(payB.execute(async () => 'b')).rejects.toBeInstanceOf(BreakerOpenError);
    // An instance that never used a breaker learns it too.
    expect(b.get(BreakerRegistry).find('refunds')).toBeUndefined();
    a.get(BreakerRegistry).get('refunds').forceOpen();
    await until(() => b.get(BreakerRegistry).find('refunds')?.state === 'open', 1_000);

    // After openDurationMs A lets a trial through; its success closes A and, through Redis, B.
    await until(() => payA.state === 'half-open', 2_000);
    await expect(payA.execute(async () => 'recovered')).resolves.toBe('recovered');
    expect(payA.state).toBe('closed');
    await until(() => payB.state === 'closed', 1_000);
  });

  it('tells an instance that starts later about a breaker that is already open, and when it closes', async () => {
    const ledgerA = a.get(BreakerRegistry).get('ledger');
    ledgerA.forceOpen(60_000);
    const c = await startApp(options('instance-c'));
    try {
      await until(async () => await connected(c), 5_000);
      await until(() => c.get(BreakerRegistry).find('ledger')?.state === 'open', 1_000);
      await expect(
        c
          .get(BreakerRegistry)
          .get('ledger')
          .execute(async () => 'c'),
      ).rejects.toBeInstanceOf(BreakerOpenError);
      ledgerA.reset();
      await until(() => c.get(BreakerRegistry).find('ledger')?.state === 'closed', 1_000);
      // Closed is closed for latecomers too: the key is gone.
      const d = await startApp(options('instance-d'));
      try {
        await until(async () => await connected(d), 5_000);
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(d.get(BreakerRegistry).find('ledger')?.state ?? 'closed').toBe('closed');
      } finally {
        await d.close();
      }
    } finally {
      await c.close();
    }
  });

  it("shares an operator's forced-open, disabled and metrics-only states, and their reset, latecomers included", async () => {
    const searchA = a.get(BreakerRegistry).get('search');
    const searchB = b.get(BreakerRegistry).get('search');
    searchA.holdOpen();
    await until(() => searchB.state === 'forced-open', 1_000);
    await expect(searchB.execute(async () => 'b')).rejects.toBeInstanceOf(BreakerOpenError);
    // Held for good: a later instance follows it (the key does not expire), and no automatic close undoes it.
    const c = await startApp(options('instance-c2'));
    try {
      await until(async () => await connected(c), 5_000);
      await until(() => c.get(BreakerRegistry).find('search')?.state === 'forced-open', 1_000);
    } finally {
      await c.close();
    }
    searchA.disable();
    await until(() => searchB.state === 'disabled', 1_000);
    await expect(searchB.execute(async () => 'b')).resolves.toBe('b');
    searchA.metricsOnly();
    await until(() => searchB.state === 'metrics-only', 1_000);
    searchA.reset();
    await until(() => searchB.state === 'closed', 1_000);
  });

  it('observes how long each remote message took from its sender to being applied, in a histogram', async () => {
    const bound = (le: string) => (le === '+Inf' ? Infinity : Number(le));
    const lagOf = async (app: INestApplication) => {
      const text = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
      const value = (suffix: string) =>
        Number(text.match(new RegExp(`^ballast_circuit_breaker_shared_state_lag_seconds${suffix} (\\S+)$`, 'm'))?.[1]);
      const buckets = [
        ...text.matchAll(/^ballast_circuit_breaker_shared_state_lag_seconds_bucket\{le="([^"]+)"\} (\S+)$/gm),
      ];
      return {
        count: value('_count'),
        sum: value('_sum'),
        buckets: buckets
          .map(([, le, n]) => [le!, Number(n)] as const)
          // prom-client prints integer bounds (1, 5) before the others: order by bound.
          .sort(([x], [y]) => bound(x) - bound(y)),
      };
    };
    // Earlier tests had A's breakers opened and closed on B: every message B applied was observed.
    const before = await lagOf(b);
    expect(before.count).toBeGreaterThan(0);
    expect(before.buckets.at(-1)).toEqual(['+Inf', before.count]);
    for (let i = 1; i < before.buckets.length; i++) {
      expect(before.buckets[i]![1]).toBeGreaterThanOrEqual(before.buckets[i - 1]![1]);
    }

    // A message stamped 300 s ago by its sender lands above every finite bucket.
    const publisher = new Redis(redis.url);
    try {
      const message = {
        v: 1,
        instance: 'instance-old-clock',
        breaker: 'archive',
        state: 'open',
        openForMs: 1,
        at: Date.now() - 300_000,
      };
      await publisher.publish('ballast:breakers', JSON.stringify(message));
    } finally {
      publisher.disconnect();
    }
    await until(async () => (await lagOf(b)).count === before.count + 1, 1_000);
    const after = await lagOf(b);
    expect(after.sum - before.sum).toBeGreaterThanOrEqual(300);
    const finite = after.buckets.filter(([le]) => le !== '+Inf');
    expect(finite.map(([, n]) => n)).toEqual(before.buckets.filter(([le]) => le !== '+Inf').map(([, n]) => n));
    expect(finite.map(([le]) => Number(le))).toContain(0.1);
  });

  it('keeps both instances serving when Redis is gone, and closes cleanly', async () => {
    await redis.kill();
    await until(async () => !(await connected(a)) && !(await connected(b)), 5_000);
    const inventoryA = a.get(BreakerRegistry).get('inventory');
    const inventoryB = b.get(BreakerRegistry).get('inventory');
    for (let i = 0; i < 50; i++) {
      const started = Date.now();
      await expect(inventoryA.execute(async () => i)).resolves.toBe(i);
      await expect(inventoryB.execute(async () => -i)).resolves.toBe(-i);
      expect(Date.now() - started).toBeLessThan(1_000); // nothing waits for Redis
    }
    // A's own transitions still work; they just are not shared.
    inventoryA.forceOpen();
    await expect(inventoryA.execute(async () => 'x')).rejects.toBeInstanceOf(BreakerOpenError);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(inventoryB.state).toBe('closed');
    await expect(inventoryB.execute(async () => 'still serving')).resolves.toBe('still serving');
    const ready = await request(a.getHttpServer()).get('/health/ready').expect(200);
    expect(ready.body.details['resilience:breakers'].reason).toMatch(/inventory open|no Redis connection/);

    const closing = Date.now();
    await a.close();
    await b.close();
    expect(Date.now() - closing).toBeLessThan(5_000);
    await expectNoNewHandles(handles);
  });
});

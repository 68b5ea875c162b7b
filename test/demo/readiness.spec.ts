import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';

import { AppModule } from '../../apps/demo/src/app.module.js';
import { PrivateRedis } from '../support/private-redis.js';
import { DATABASE_URL } from '../support/services.js';

interface Ready {
  readonly status: number;
  readonly body: { status: string; details?: Record<string, { status: string; critical?: boolean }> };
}

/** Kubernetes' default readiness periodSeconds: a recovered dependency must show within one. */
const CHECK_INTERVAL_MS = 10_000;

describe('demo readiness with a Redis outage (Redis as cache L2, shared breaker state)', () => {
  let app: INestApplication;
  let redis: PrivateRedis;
  const saved = { DATABASE_URL: process.env.DATABASE_URL, REDIS_URL: process.env.REDIS_URL };

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    process.env.DATABASE_URL = DATABASE_URL;
    process.env.REDIS_URL = redis.url;
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.listen(0, '127.0.0.1');
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await redis?.kill();
    process.env.DATABASE_URL = saved.DATABASE_URL;
    process.env.REDIS_URL = saved.REDIS_URL;
  });

  const ready = async (): Promise<Ready> => {
    const res = await request(app.getHttpServer()).get('/health/ready');
    return { status: res.status, body: res.body };
  };

  /** Polls readiness until `done` holds, recording every answer. */
  async function pollUntil(done: (r: Ready) => boolean, timeoutMs: number): Promise<{ seen: Ready[]; ms: number }> {
    const started = Date.now();
    const seen: Ready[] = [];
    for (;;) {
      const answer = await ready();
      seen.push(answer);
      if (done(answer)) return { seen, ms: Date.now() - started };
      if (Date.now() - started > timeoutMs) {
        throw new Error(`not reached within ${timeoutMs} ms; last: ${JSON.stringify(answer.body)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it('stays ready (200, degraded) while Redis is down and is ok again within one check interval', async () => {
    // The cache's invalidation subscriber connects just after start (about a second): wait for it.
    await pollUntil((r) => r.body.status === 'ok', 15_000);
    const before = await ready();
    expect(before.status).toBe(200);
    expect(before.body.status).toBe('ok');
    expect(before.body.details?.['redis:cache']?.status).toBe('up');

    await redis.kill();
    const outage = await pollUntil((r) => r.body.details?.['redis:cache']?.status !== 'up', 15_000);
    // Keep asking for a few seconds more: the outage must never turn readiness into a 503.
    const during = [...outage.seen];
    const until = Date.now() + 3_000;
    while (Date.now() < until) {
      during.push(await ready());
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(during.filter((r) => r.status !== 200)).toEqual([]);
    const last = during[during.length - 1]!;
    expect(last.body.status).toBe('degraded');
    expect(last.body.details?.['redis:cache']).toMatchObject({ status: 'degraded', critical: false });
    // The database stays critical and up.
    expect(last.body.details?.['database:main']?.status).toBe('up');

    await redis.start();
    const recovery = await pollUntil((r) => r.body.status === 'ok', CHECK_INTERVAL_MS);
    expect(recovery.seen.filter((r) => r.status !== 200)).toEqual([]);
    expect(recovery.ms).toBeLessThanOrEqual(CHECK_INTERVAL_MS);
    console.log(`readiness back to ok ${recovery.ms} ms after Redis came back`);
  }, 60_000);
});

import { afterEach, describe, expect, it } from '@jest/globals';
import { BallastCoreModule } from '@ballast/core';
import { CacheModule, CacheRegistry } from '@ballast/cache';
import type { INestApplication, LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';

import { PrivateRedis } from '../support/private-redis.js';

/** Every line the app logs, at every level: Nest's default level lets debug through. */
class CapturingLogger implements LoggerService {
  readonly lines: { level: string; message: string }[] = [];
  log(message: unknown): void {
    this.lines.push({ level: 'log', message: String(message) });
  }
  warn(message: unknown): void {
    this.lines.push({ level: 'warn', message: String(message) });
  }
  error(message: unknown): void {
    this.lines.push({ level: 'error', message: String(message) });
  }
  debug(message: unknown): void {
    this.lines.push({ level: 'debug', message: String(message) });
  }
  verbose(message: unknown): void {
    this.lines.push({ level: 'verbose', message: String(message) });
  }
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let app: INestApplication | undefined;
let redis: PrivateRedis | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
  await redis?.kill();
  redis = undefined;
});

describe('L2 logs during a Redis outage', () => {
  it('logs each client once per outage at debug, not once per failed reconnect', async () => {
    redis = await PrivateRedis.start();
    const logger = new CapturingLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [
        BallastCoreModule.forRoot({ metrics: { defaultMetrics: false } }),
        CacheModule.forRoot({ caches: { tickets: { maxEntries: 100 } }, l2: { enabled: true, url: redis.url } }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger });
    await app.init();
    const cache = app.get(CacheRegistry).get('tickets');
    await until(() => cache.l2Status === 'up');
    const before = logger.lines.length;

    await redis.kill();
    await until(() => cache.l2Status === 'down');
    // The reconnect backoff starts at 5-10 ms: a second down is dozens of failed attempts.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const during = logger.lines.slice(before).filter((line) => line.message.includes('Redis L2'));
    const debug = during.filter((line) => line.level === 'debug');
    // One per client (commands, invalidations) for the whole outage.
    expect(debug.length).toBeGreaterThanOrEqual(1);
    expect(debug.length).toBeLessThanOrEqual(2);
    expect(during.filter((line) => line.level === 'warn').map((line) => line.message)).toEqual([
      expect.stringMatching(/invalidation link lost/),
    ]);
  });
});

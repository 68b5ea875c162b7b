import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';

import { L2CommandTimeoutError, withL2Deadline } from './l2-command-deadline.js';

// The real Redis the integration suites use (an ioredis client reads nothing but its answers).
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Blocks the event loop, as a burst of CPU work under load does. */
function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}

describe('the L2 command deadline', () => {
  let redis: Redis;
  let timedClient: Redis;

  beforeAll(async () => {
    redis = new Redis(REDIS_URL, { lazyConnect: true });
    timedClient = new Redis(REDIS_URL, { lazyConnect: true, commandTimeout: 10 });
    await Promise.all([redis.connect(), timedClient.connect()]);
  });

  afterAll(async () => {
    redis.disconnect();
    timedClient.disconnect();
  });

  it('does not fail a command whose answer arrived while our own event loop was stalled', async () => {
    // The control: a plain timer (ioredis' commandTimeout) fires before the socket is read.
    const plain = timedClient.ping();
    stall(100);
    await expect(plain).rejects.toThrow(/timed out/i);

    // The same stall, judged after the next poll phase: Redis had answered in time.
    const judged = withL2Deadline(() => redis.ping(), 10);
    stall(100);
    await expect(judged).resolves.toBe('PONG');
  });

  it('fails a command Redis does not answer within the deadline, and passes errors through', async () => {
    const blocker = redis.duplicate();
    try {
      // BLPOP on an empty list answers only after 1 s: a slow Redis as far as the caller is concerned.
      const slow = withL2Deadline(() => blocker.blpop('ballast:l2-deadline:none', 1), 20);
      await expect(slow).rejects.toBeInstanceOf(L2CommandTimeoutError);
      await expect(withL2Deadline(() => redis.call('NO-SUCH-COMMAND'), 1_000)).rejects.toThrow(/unknown command/i);
    } finally {
      blocker.disconnect();
    }
  });
});

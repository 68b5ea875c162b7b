import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  DeadLetterService,
  MemoryDeadLetterStore,
  PostgresDeadLetterStore,
  RedisDeadLetterStore,
  type DeadLetterStore,
} from '@ballast/resilience';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';

import { DATABASE_URL, REDIS_URL } from '../support/services.js';

const run = randomBytes(4).toString('hex');
const SETTINGS = { includeStack: true, maxEntries: 10_000, retentionMs: 86_400_000 };

interface StoreCase {
  readonly label: string;
  create(): Promise<DeadLetterStore>;
}

let appDataSource: DataSource;
let appRedis: Redis;
const tables: string[] = [];
const prefixes: string[] = [];

function pgStore(useAppDataSource: boolean, table = `dlq_${run}_${tables.length}`): PostgresDeadLetterStore {
  tables.push(table);
  return new PostgresDeadLetterStore(
    useAppDataSource
      ? { dataSource: appDataSource, table, createTable: true }
      : { url: DATABASE_URL, table, createTable: true },
  );
}

function redisStore(useAppClient: boolean, maxEntries = 10_000): RedisDeadLetterStore {
  const keyPrefix = `ballast-test:${run}:${prefixes.length}`;
  prefixes.push(keyPrefix);
  return new RedisDeadLetterStore(
    useAppClient ? { client: appRedis, keyPrefix, maxEntries } : { url: REDIS_URL, keyPrefix, maxEntries },
  );
}

const cases: StoreCase[] = [
  { label: 'memory', create: async () => new MemoryDeadLetterStore(10_000) },
  { label: 'postgres (URL, own DataSource)', create: async () => pgStore(false) },
  { label: "postgres (the app's DataSource)", create: async () => pgStore(true) },
  { label: 'redis streams (URL, own client)', create: async () => redisStore(false) },
  { label: "redis streams (the app's client)", create: async () => redisStore(true) },
];

beforeAll(async () => {
  appDataSource = new DataSource({ type: 'postgres', url: DATABASE_URL, poolSize: 4 });
  await appDataSource.initialize();
  appRedis = new Redis(REDIS_URL, { lazyConnect: true });
  await appRedis.connect();
});

afterAll(async () => {
  for (const table of tables) await appDataSource.query(`DROP TABLE IF EXISTS "${table}"`);
  for (const prefix of prefixes) {
    const keys = await appRedis.keys(`${prefix}:*`);
    if (keys.length > 0) await appRedis.del(...keys);
  }
  await appDataSource.destroy();
  await appRedis.quit();
});

describe.each(cases.map((c) => [c.label, c] as const))('dead letters in %s', (_label, storeCase) => {
  let store: DeadLetterStore;
  let service: DeadLetterService;

  beforeAll(async () => {
    store = await storeCase.create();
    await store.init();
    service = new DeadLetterService(store, SETTINGS);
  });

  afterAll(async () => {
    await store.close();
  });

  it('keeps the record, the redacted error with its stack and the meta, oldest first, in pages', async () => {
    const queue = service.queue('orders');
    const failure = Object.assign(new Error('insert failed on postgres://app:s3cret@db:5432/shop'), { code: '23505' });
    const ids: string[] = [];
    for (let i = 1; i <= 3; i++) {
      ids.push(await queue.send({ orderId: i, card: { token: `tok_${i}` }, big: 12n }, failure, { attempt: i }));
    }
    const letters = await queue.list({ limit: 10 });
    expect(letters.map((l) => l.id)).toEqual(ids);
    expect(letters[0]).toMatchObject({
      queue: 'orders',
      record: { orderId: 1, card: { token: '[REDACTED]' }, big: '12' },
      error: { name: 'Error', code: '23505' },
      meta: { attempt: 1 },
      attempts: 0,
    });
    expect(letters[0]!.error.message).toContain('postgres://app:[REDACTED]@db');
    expect(letters[0]!.error.message).not.toContain('s3cret');
    expect(letters[0]!.error.stack).toMatch(/dead-letters\.spec/);
    expect(letters[0]!.createdAt).toBeInstanceOf(Date);
    const firstPage = await queue.list({ limit: 2 });
    const secondPage = await queue.list({ limit: 2, afterId: firstPage[1]!.id });
    expect([...firstPage, ...secondPage].map((l) => l.id)).toEqual(ids);
    expect(await queue.count()).toBe(3);
    expect(await store.queues()).toContain('orders');
  });

  it('replays: removes what the handler took, keeps what it failed on with the error and attempt count', async () => {
    const queue = service.queue<{ n: number }>('payouts');
    for (const n of [1, 2, 3]) await queue.send({ n }, new Error(`payout ${n} failed`));
    const seen: number[] = [];
    const result = await queue.replay(async (record) => {
      seen.push(record.n);
      if (record.n === 2) throw new Error('bank still down');
    });
    expect(seen).toEqual([1, 2, 3]);
    expect(result).toEqual({ succeeded: 2, failed: 1, remaining: 1 });
    const [kept] = await queue.list();
    expect(kept).toMatchObject({ record: { n: 2 }, attempts: 1, lastError: { message: 'bank still down' } });
    expect(kept!.error.message).toBe('payout 2 failed');
    expect(kept!.lastAttemptAt).toBeInstanceOf(Date);

    // A handler that fails every time loses nothing.
    const again = await queue.replay(() => {
      throw new Error('still down');
    });
    expect(again).toEqual({ succeeded: 0, failed: 1, remaining: 1 });
    expect((await queue.list())[0]).toMatchObject({ record: { n: 2 }, attempts: 2 });

    // Parked once it reached maxAttempts: not handed over again.
    let called = 0;
    const parked = await queue.replay(() => void called++, { maxAttempts: 2 });
    expect(parked).toEqual({ succeeded: 0, failed: 0, remaining: 1 });
    expect(called).toBe(0);

    const finally_ = await queue.replay(() => undefined, { maxAttempts: 3 });
    expect(finally_).toEqual({ succeeded: 1, failed: 0, remaining: 0 });
  });

  it('leaves letters that arrive during a replay for the next one', async () => {
    const queue = service.queue<{ n: number }>('late');
    await queue.send({ n: 1 }, new Error('x'));
    const seen: number[] = [];
    const result = await queue.replay(async (record) => {
      seen.push(record.n);
      if (record.n === 1) await queue.send({ n: 99 }, new Error('arrived meanwhile'));
    });
    expect(seen).toEqual([1]);
    expect(result).toEqual({ succeeded: 1, failed: 0, remaining: 1 });
    expect((await queue.list())[0]?.record).toEqual({ n: 99 });
  });

  it('replays at most `limit` letters', async () => {
    const queue = service.queue('limited');
    for (let n = 0; n < 5; n++) await queue.send({ n }, new Error('x'));
    const result = await queue.replay(() => undefined, { limit: 2, batchSize: 1 });
    expect(result).toEqual({ succeeded: 2, failed: 0, remaining: 3 });
  });

  it('purges by id, by age, or all', async () => {
    const queue = service.queue('purgeable');
    const a = await queue.send({ n: 'a' }, new Error('x'));
    await queue.send({ n: 'b' }, new Error('x'));
    await queue.send({ n: 'c' }, new Error('x'));
    expect(await queue.purge({ ids: [a] })).toBe(1);
    expect((await queue.list()).map((l) => l.record)).toEqual([{ n: 'b' }, { n: 'c' }]);
    expect(await queue.purge({ olderThan: new Date(Date.now() - 3_600_000) })).toBe(0);
    expect(await queue.purge({ olderThan: new Date(Date.now() + 1_000) })).toBe(2);
    await queue.send({ n: 'd' }, new Error('x'));
    expect(await queue.purge()).toBe(1);
    expect(await queue.count()).toBe(0);
  });

  it('trims by retention', async () => {
    const queue = service.queue('retained');
    for (let n = 0; n < 3; n++) await queue.send({ n }, new Error('x'));
    expect(await store.trim('retained', { olderThan: new Date(Date.now() - 60_000), maxEntries: 100 })).toBe(0);
    const later = new DeadLetterService(store, { ...SETTINGS, retentionMs: 1_000 });
    await later.trim(Date.now() + 5_000);
    expect(await queue.count()).toBe(0);
  });
});

describe('postgres dead-letter store', () => {
  it('creates its table with an index on queue and time, and leaves the app DataSource open', async () => {
    const table = `dlq_${run}_idx`;
    const store = pgStore(true, table);
    await store.init();
    await store.close();
    const indexes: { indexdef: string }[] = await appDataSource.query(
      'SELECT indexdef FROM pg_indexes WHERE tablename = $1',
      [table],
    );
    expect(indexes.map((i) => i.indexdef).join('\n')).toMatch(/\(queue, created_at\)/);
    expect(appDataSource.isInitialized).toBe(true);
  });

  it('two instances replaying one queue at once hand each letter to one handler only', async () => {
    const table = `dlq_${run}_concurrent`;
    const first = pgStore(false, table);
    const second = pgStore(false, table);
    await Promise.all([first.init(), second.init()]); // concurrent CREATE TABLE is serialised
    const a = new DeadLetterService(first, SETTINGS);
    const b = new DeadLetterService(second, SETTINGS);
    for (let n = 0; n < 40; n++) await a.send('jobs', { n }, new Error('x'));
    const handled: number[] = [];
    const handler = async (record: { n: number }) => {
      handled.push(record.n);
      await new Promise((resolve) => setTimeout(resolve, 2));
    };
    const [ra, rb] = await Promise.all([
      a.queue<{ n: number }>('jobs').replay(handler, { batchSize: 5 }),
      b.queue<{ n: number }>('jobs').replay(handler, { batchSize: 5 }),
    ]);
    expect(ra.succeeded + rb.succeeded).toBe(40);
    expect(handled.sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, n) => n));
    expect(await a.queue('jobs').count()).toBe(0);
    await first.close();
    await second.close();
  });

  it('refuses a table name that is not an identifier', () => {
    expect(
      () => new PostgresDeadLetterStore({ url: DATABASE_URL, table: 'x; DROP TABLE y', createTable: true }),
    ).toThrow(/must be an identifier/);
  });
});

describe('redis dead-letter store', () => {
  it('caps each stream with XADD MAXLEN ~', async () => {
    const store = redisStore(true, 100);
    await store.init();
    const service = new DeadLetterService(store, { ...SETTINGS, maxEntries: 100 });
    const pipeline = [];
    for (let n = 0; n < 1_000; n++) pipeline.push(service.send('firehose', { n }, new Error('x')));
    await Promise.all(pipeline);
    const length = await service.queue('firehose').count();
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThan(300); // approximate trimming keeps whole stream nodes
    const [oldest] = await service.queue('firehose').list({ limit: 1 });
    expect((oldest!.record as { n: number }).n).toBeGreaterThan(600);
    await store.close();
  });
});

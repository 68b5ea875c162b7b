import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  DeadLetterService,
  PostgresDeadLetterStore,
  RedisDeadLetterStore,
  type DeadLetterStore,
} from '@ballast/resilience';
import { Redis } from 'ioredis';
import pg from 'pg';

import { DATABASE_URL, REDIS_URL } from '../support/services.js';

const run = randomBytes(4).toString('hex');
const SETTINGS = { includeStack: false, maxEntries: 10_000, retentionMs: 86_400_000 };
const REPLAYER = fileURLToPath(new URL('./fixtures/dead-letter-replayer.mjs', import.meta.url));

interface Backend {
  readonly label: string;
  readonly kind: 'redis' | 'postgres';
  readonly target: string;
  readonly name: string;
  /** A store of its own (own connection), as another instance would have. */
  store(): DeadLetterStore;
}

const backends: Backend[] = [
  {
    label: 'redis streams',
    kind: 'redis',
    target: REDIS_URL,
    name: `ballast-test:fleet:${run}`,
    store() {
      return new RedisDeadLetterStore({ url: this.target, keyPrefix: this.name, maxEntries: 10_000 });
    },
  },
  {
    label: 'postgres',
    kind: 'postgres',
    target: DATABASE_URL,
    name: `dlq_fleet_${run}`,
    store() {
      return new PostgresDeadLetterStore({ url: this.target, table: this.name, createTable: true });
    },
  },
];

const opened: DeadLetterStore[] = [];
async function open(backend: Backend): Promise<DeadLetterService> {
  const store = backend.store();
  opened.push(store);
  await store.init();
  return new DeadLetterService(store, SETTINGS);
}

afterAll(async () => {
  for (const store of opened) await store.close();
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`ballast-test:fleet:${run}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query(`DROP TABLE IF EXISTS "dlq_fleet_${run}"`);
  await client.end();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(backends.map((b) => [b.label, b] as const))('dead letters in a fleet: %s', (_label, backend) => {
  beforeAll(async () => {
    await open(backend); // creates the table once
  });

  it('four instances replaying one queue at once deliver each letter once at a time', async () => {
    const queue = `concurrent-${run}`;
    const writer = await open(backend);
    const letters = 120;
    for (let i = 0; i < letters; i++) await writer.send(queue, { n: i }, new Error('upstream down'));

    const replayers = await Promise.all([1, 2, 3, 4].map(() => open(backend)));
    const inFlight = new Set<string>();
    const deliveries = new Map<string, number>();
    let concurrentDoubles = 0;
    const results = await Promise.all(
      replayers.map((replayer) =>
        replayer.queue(queue).replay(
          async (_record, letter) => {
            if (inFlight.has(letter.id)) concurrentDoubles++;
            inFlight.add(letter.id);
            deliveries.set(letter.id, (deliveries.get(letter.id) ?? 0) + 1);
            await sleep(Math.random() * 3);
            inFlight.delete(letter.id);
          },
          { batchSize: 7, leaseMs: 30_000 },
        ),
      ),
    );
    expect(concurrentDoubles).toBe(0);
    expect(deliveries.size).toBe(letters);
    expect([...deliveries.values()].every((n) => n === 1)).toBe(true);
    expect(results.reduce((sum, r) => sum + r.succeeded, 0)).toBe(letters);
    // Every replayer got a share: the lease spread the work instead of serialising it.
    expect(results.filter((r) => r.succeeded > 0).length).toBeGreaterThan(1);
    expect(await writer.queue(queue).count()).toBe(0);
  });

  it('redelivers the letters of a replayer killed (SIGKILL) mid-delivery once its lease expires', async () => {
    const queue = `killed-${run}`;
    const writer = await open(backend);
    for (let i = 0; i < 3; i++) await writer.send(queue, { n: i }, new Error('upstream down'));
    const leaseMs = 1_500;

    const child = spawn(process.execPath, [REPLAYER], {
      env: {
        ...process.env,
        STORE: backend.kind,
        TARGET: backend.target,
        NAME: backend.name,
        QUEUE: queue,
        LEASE_MS: String(leaseMs),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    const killedId = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /delivering (\S+)\n/.exec(out);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`replayer exited (${code}) before delivering: ${out}`)));
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const killedAt = Date.now();

    // While the dead replayer's lease holds, nobody else gets its letters.
    const survivor = await open(backend);
    const early: string[] = [];
    await survivor.queue(queue).replay(async (_r, letter) => void early.push(letter.id), { leaseMs });
    if (Date.now() - killedAt < leaseMs) expect(early).toEqual([]);

    // Once it expired, they are delivered again, the one cut mid-delivery included.
    await sleep(Math.max(0, leaseMs + 200 - (Date.now() - killedAt)));
    const late: string[] = [];
    const result = await survivor.queue(queue).replay(async (_r, letter) => void late.push(letter.id), { leaseMs });
    expect(early.length + late.length).toBe(3);
    expect([...early, ...late]).toContain(killedId);
    expect(result.remaining).toBe(0);
  });
});

import { EventEmitter } from 'node:events';

import { describe, expect, it } from '@jest/globals';
import pg from 'pg';

import type { PoolLogger } from '../resource-pool/resource-pool.options.js';
import { PoolExhaustedError } from '../errors/pool.errors.js';
import { BallastPgPool } from './ballast-pg-pool.js';
import { ballastPgDriver } from './pg-driver.js';

/** Enough of pg.Client for the pool: connect, query, end, events. */
class FakeClient extends EventEmitter {
  static made: FakeClient[] = [];
  ended = false;
  constructor(readonly config: pg.ClientConfig) {
    super();
    FakeClient.made.push(this);
  }
  async connect() {}
  async query(text: string) {
    if (text === 'FAIL SERVER') throw new pg.DatabaseError('syntax error', 0, 'error');
    if (text === 'FAIL SOCKET') throw new Error('Connection terminated unexpectedly');
    return { rows: [{ text }], rowCount: 1 };
  }
  async end() {
    this.ended = true;
  }
}

const quiet: PoolLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

function makePool(config: Record<string, unknown> = {}) {
  FakeClient.made = [];
  return new BallastPgPool({ Client: FakeClient as never, max: 2, ...config }, { name: 'spec', logger: quiet });
}

describe('BallastPgPool', () => {
  it('hands out clients with pg-pool release semantics through connect() and connect(cb)', async () => {
    const pool = makePool();
    const client = await pool.connect();
    expect(pool.totalCount).toBe(1);
    client.release();
    expect(() => client.release()).toThrow('Release called on client which has already been released to the pool.');
    expect(pool.idleCount).toBe(1);
    const viaCallback = await new Promise<pg.PoolClient>((resolve, reject) =>
      pool.connect((error, c, done) => (error ? reject(error) : (done(), resolve(c!)))),
    );
    expect(viaCallback).toBe(client);
    await pool.end();
    expect(pool.ended).toBe(true);
    expect(FakeClient.made[0]!.ended).toBe(true);
  });

  it('destroys a client released with an error, and keeps one after a server-side query error', async () => {
    const pool = makePool();
    const client = await pool.connect();
    client.release(new Error('broken'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(FakeClient.made[0]!.ended).toBe(true);
    await expect(pool.query('FAIL SERVER')).rejects.toBeInstanceOf(pg.DatabaseError);
    expect(pool.idleCount).toBe(1);
    await expect(pool.query('FAIL SOCKET')).rejects.toThrow('Connection terminated');
    expect(pool.idleCount).toBe(0);
    await expect(pool.query('SELECT $1', [1])).resolves.toMatchObject({ rows: [{ text: 'SELECT $1' }] });
    await pool.end();
  });

  it('turns an idle client error into a removal, emitting error only to listeners', async () => {
    const pool = makePool();
    const removed: unknown[] = [];
    pool.on('remove', (c) => removed.push(c));
    (await pool.connect()).release();
    // No 'error' listener: an EventEmitter would throw here; ours must not.
    FakeClient.made[0]!.emit('error', new Error('terminating connection due to administrator command'));
    expect(removed).toEqual([FakeClient.made[0]]);
    expect(pool.idleCount).toBe(0);
    const seen: Error[] = [];
    pool.on('error', (e) => seen.push(e));
    (await pool.connect()).release();
    FakeClient.made[1]!.emit('error', new Error('gone'));
    expect(seen.map((e) => e.message)).toEqual(['gone']);
    await pool.end();
  });

  it('maps pg pool settings and lets the binding win', async () => {
    const pool = new BallastPgPool(
      {
        Client: FakeClient as never,
        max: 3,
        idleTimeoutMillis: 1_000,
        connectionTimeoutMillis: 2_000,
        maxLifetimeSeconds: 60,
      },
      { name: 'bound', pool: { max: 7 }, client: { statement_timeout: 5_000 }, logger: quiet },
    );
    expect(pool.resourcePool.options).toMatchObject({
      max: 7,
      idleTimeoutMs: 1_000,
      connectTimeoutMs: 2_000,
      maxLifetimeMs: 60_000,
    });
    (await pool.connect()).release();
    expect(FakeClient.made.at(-1)!.config).toMatchObject({ statement_timeout: 5_000, connectionTimeoutMillis: 2_000 });
    expect(FakeClient.made.at(-1)!.config).not.toHaveProperty('max');
    await pool.end();
  });

  it('bounds a connect() wait by connectionTimeoutMillis when no acquireTimeoutMillis is given, as pg.Pool does', async () => {
    const pool = makePool({ connectionTimeoutMillis: 100 });
    const held = [await pool.connect(), await pool.connect()];
    // Without the mapping this waits out the pool's own 30 s default (the test's timeout).
    await expect(pool.connect()).rejects.toBeInstanceOf(PoolExhaustedError);
    expect(pool.resourcePool.options.acquireTimeoutMs).toBe(100);
    // An explicit acquireTimeoutMillis still wins: the two stay separable.
    const separate = makePool({ connectionTimeoutMillis: 100, acquireTimeoutMillis: 5_000 });
    expect(separate.resourcePool.options.acquireTimeoutMs).toBe(5_000);
    for (const client of held) client.release();
    await Promise.all([pool.end(), separate.end()]);
  });

  it('gives TypeORM a pg module whose Pool is ours, numbering replica pools', async () => {
    const opened: string[] = [];
    const driver = ballastPgDriver({ name: 'main', logger: quiet, opened: (p) => opened.push(p.poolName) });
    expect(driver.Client).toBe(pg.Client);
    expect(driver.types).toBe(pg.types);
    const primary = new driver.Pool({ Client: FakeClient as never });
    const replica = new driver.Pool({ Client: FakeClient as never });
    expect(primary).toBeInstanceOf(BallastPgPool);
    expect(opened).toEqual(['main', 'main#2']);
    await Promise.all([primary.end(), replica.end()]);
  });
});

import { describe, expect, it } from '@jest/globals';
import { expectNoOpenHandlesAfter } from '@ballast/core/testing';
import pg from 'pg';

import {
  EMBEDDED_DEFAULT_SHARED_BUFFERS_MB,
  EMBEDDED_MAX_WAL_MB,
  EMBEDDED_WAL_SEGMENT_MB,
  EMBEDDED_WASM_INITIAL_MB,
  EmbeddedDatabase,
} from '../../apps/demo/src/database/embedded-database.js';

const MB = 1024 * 1024;

/**
 * What the embedded database may add to the process's external memory once started: its WASM memory
 * at its initial size (the buffer pool fits inside, so it does not grow) plus the in-memory files
 * (data directory of about 30 MB with 1 MB WAL segments, and PGlite's share/ bundle), 64 MB at most.
 * Before its memory was sized, it added ~560 MB: a 190 MB WASM memory and initdb's leftovers.
 */
const EXTERNAL_BOUND = (EMBEDDED_WASM_INITIAL_MB + 64) * MB;

describe('the demo embedded database', () => {
  // First in the file: no other instance's garbage is around to be collected during the measurement.
  it('runs postgres with its sized memory settings and adds no more external memory than they allow', async () => {
    const externalBefore = process.memoryUsage().external;
    const database = await EmbeddedDatabase.start({ maxConnections: 2 });
    const externalAdded = process.memoryUsage().external - externalBefore;
    const client = new pg.Client({ connectionString: database.url });
    try {
      await client.connect();
      const show = async (name: string): Promise<string> =>
        (await client.query<Record<string, string>>(`SHOW ${name}`)).rows[0]![name]!;
      expect({
        shared_buffers: await show('shared_buffers'),
        wal_segment_size: await show('wal_segment_size'),
        max_wal_size: await show('max_wal_size'),
      }).toEqual({
        shared_buffers: `${EMBEDDED_DEFAULT_SHARED_BUFFERS_MB}MB`,
        wal_segment_size: `${EMBEDDED_WAL_SEGMENT_MB}MB`,
        max_wal_size: `${EMBEDDED_MAX_WAL_MB}MB`,
      });
      expect(externalAdded).toBeLessThanOrEqual(EXTERNAL_BOUND);
    } finally {
      await client.end();
      await database.stop();
    }
  }, 60_000);

  it('serves the pg protocol to a pool of 8 under 50 concurrent writes, then closes everything', async () => {
    await expectNoOpenHandlesAfter(async () => {
      const database = await EmbeddedDatabase.start({ maxConnections: 8 });
      const pool = new pg.Pool({ connectionString: database.url, max: 8 });
      try {
        await pool.query('CREATE TABLE t (id serial PRIMARY KEY, v int NOT NULL)');
        await Promise.all(Array.from({ length: 50 }, (_, i) => pool.query('INSERT INTO t (v) VALUES ($1)', [i])));
        const { rows } = await pool.query<{ count: string; sum: string }>('SELECT count(*), sum(v) FROM t');
        expect(rows[0]).toEqual({ count: '50', sum: String((49 * 50) / 2) });
      } finally {
        await pool.end();
        await database.stop();
      }
    });
  }, 60_000);

  it('takes a larger buffer pool when told', async () => {
    const database = await EmbeddedDatabase.start({ maxConnections: 2, sharedBuffersMb: 32 });
    const client = new pg.Client({ connectionString: database.url });
    try {
      await client.connect();
      expect((await client.query<{ shared_buffers: string }>('SHOW shared_buffers')).rows[0]!.shared_buffers).toBe(
        '32MB',
      );
    } finally {
      await client.end();
      await database.stop();
    }
  }, 60_000);
});

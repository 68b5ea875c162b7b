import { describe, expect, it } from '@jest/globals';
import { expectNoOpenHandlesAfter } from '@ballast/core/testing';
import pg from 'pg';

import { EmbeddedDatabase } from '../../apps/demo/src/database/embedded-database.js';

describe('the demo embedded database', () => {
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
});

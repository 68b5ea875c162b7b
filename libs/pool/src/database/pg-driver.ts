import pg from 'pg';

import { BallastPgPool, type PgPoolBinding } from './ballast-pg-pool.js';

/** The shape TypeORM's Postgres driver takes as `driver`: the pg module, with its Pool. */
export type PgDriverModule = typeof pg & { Pool: typeof BallastPgPool };

/**
 * pg with its Pool replaced by {@link BallastPgPool}, for TypeORM's `driver` option. TypeORM then
 * calls `new Pool(...)`, `connect(cb)`, `release(err)`, `end(cb)` and `on('error')` on ours, so every
 * query it runs goes through our acquire path; nothing is forked or patched.
 *
 * @example
 * new DataSource({ type: 'postgres', url, driver: ballastPgDriver({ name: 'main', pool: { max: 20 } }) });
 */
export function ballastPgDriver(binding: PgPoolBinding): PgDriverModule {
  return { ...pg, Pool: BallastPgPool.configured(binding) } as PgDriverModule;
}

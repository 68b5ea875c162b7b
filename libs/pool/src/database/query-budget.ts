import type pg from 'pg';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

import { QueryTimeoutError } from '../errors/pool.errors.js';
import { destroyPgConnection } from './pg-client.factory.js';

/** SQLSTATE of "canceling statement due to statement timeout". */
const QUERY_CANCELED = '57014';

export interface QueryBudgetOptions {
  /** Name in the QueryTimeoutError. Default the DataSource's name. */
  readonly poolName?: string;
  /**
   * Past budget + grace with no answer (a server that ignores statement_timeout, a network that
   * dropped), the connection is cut and the call fails anyway. Default 1 s.
   */
  readonly graceMs?: number;
}

/** The name of our pool behind a DataSource, when it is one of ours. */
function poolNameOf(dataSource: DataSource): string {
  const master = (dataSource.driver as { master?: { poolName?: unknown } }).master;
  return typeof master?.poolName === 'string' ? master.poolName : 'database';
}

/** True for a server-side statement timeout, raw from pg or wrapped in TypeORM's QueryFailedError. */
export function isStatementTimeout(error: unknown): boolean {
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  return e?.code === QUERY_CANCELED || e?.driverError?.code === QUERY_CANCELED;
}

/**
 * Runs `work` on one connection whose `statement_timeout` is `budgetMs`, then puts the DataSource's
 * default back. A statement past the budget fails with {@link QueryTimeoutError} and the connection
 * goes back to the pool (the server cancelled the statement; the connection is fine). If the server
 * does not answer within budget + grace, the connection is cut and replaced.
 *
 * @example
 * const rows = await withQueryBudget(dataSource, 5_000, (manager) => manager.query(REPORT_SQL));
 */
export async function withQueryBudget<R>(
  dataSource: DataSource,
  budgetMs: number,
  work: (manager: EntityManager, runner: QueryRunner) => Promise<R>,
  options: QueryBudgetOptions = {},
): Promise<R> {
  if (!Number.isInteger(budgetMs) || budgetMs < 1)
    throw new RangeError(`budgetMs must be a positive integer, got ${budgetMs}`);
  const poolName = options.poolName ?? poolNameOf(dataSource);
  const graceMs = options.graceMs ?? 1_000;
  const runner = dataSource.createQueryRunner();
  const client = (await runner.connect()) as pg.Client;
  let cut = false;
  let timer: NodeJS.Timeout | undefined;
  const started = performance.now();
  try {
    await runner.query(`SET statement_timeout = ${budgetMs}`);
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        cut = true;
        destroyPgConnection(client);
        reject(new QueryTimeoutError(budgetMs, poolName, { elapsedMs: performance.now() - started, side: 'client' }));
      }, budgetMs + graceMs);
      timer.unref();
    });
    return await Promise.race([work(runner.manager, runner), deadline]);
  } catch (error) {
    if (!cut && isStatementTimeout(error)) {
      throw new QueryTimeoutError(budgetMs, poolName, { cause: error, elapsedMs: performance.now() - started });
    }
    throw error;
  } finally {
    clearTimeout(timer);
    if (!cut) {
      // Back to the session default (the DataSource's statement_timeout from the startup packet).
      await runner.query('RESET statement_timeout').catch(() => {
        // In an aborted transaction or on a dead socket: this connection's settings are unknown, so drop it.
        cut = true;
        destroyPgConnection(client);
      });
    }
    await runner.release();
  }
}

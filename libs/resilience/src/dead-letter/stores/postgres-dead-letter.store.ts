import type { DeadLetterDataSource } from '../dead-letter-data-source.interface.js';

import type {
  ClaimOptions,
  DeadLetterRecord,
  DeadLetterErrorInfo,
  DeadLetterStore,
  ListOptions,
  NewDeadLetter,
  PurgeOptions,
} from '../dead-letter.interfaces.js';
import { toJson } from '../describe-error.js';

interface Row {
  id: string;
  queue: string;
  record: unknown;
  error: DeadLetterErrorInfo;
  meta: Record<string, unknown> | null;
  attempts: number;
  last_error: DeadLetterErrorInfo | null;
  created_at: Date;
  last_attempt_at: Date | null;
}

export interface PostgresDeadLetterStoreOptions {
  /** The app's own DataSource (TypeORM, postgres driver): used, never closed by us. */
  readonly dataSource?: DeadLetterDataSource;
  /** Or a connection URL: we create a small DataSource of our own and close it on shutdown. */
  readonly url?: string;
  /** Table name, optionally schema-qualified (`ops.dead_letters`). */
  readonly table: string;
  /** Create the table and its indexes at start-up when missing. */
  readonly createTable: boolean;
  /** Connections of the DataSource we create from `url`. */
  readonly poolSize?: number;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** `ops.dead_letters` -> `"ops"."dead_letters"`, after checking each part is a plain identifier. */
export function quoteTable(table: string): { sql: string; base: string } {
  const parts = table.split('.');
  if (parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw new Error(`Dead-letter table name "${table}" must be an identifier, optionally schema-qualified`);
  }
  return { sql: parts.map((part) => `"${part}"`).join('.'), base: parts[parts.length - 1]! };
}

function toLetter(row: Row): DeadLetterRecord {
  return {
    id: String(row.id),
    queue: row.queue,
    record: row.record,
    error: row.error,
    meta: row.meta ?? {},
    attempts: row.attempts,
    ...(row.last_error ? { lastError: row.last_error } : {}),
    createdAt: new Date(row.created_at),
    ...(row.last_attempt_at ? { lastAttemptAt: new Date(row.last_attempt_at) } : {}),
  };
}

/**
 * Dead letters in a Postgres table through TypeORM (raw SQL, no entity to register): one row per
 * letter, indexed on (queue, created_at) for retention and (queue, id) for paging. Replays claim
 * rows with `FOR UPDATE SKIP LOCKED` and a lease, so two instances replaying the same queue do not
 * hand the same letter to two handlers while the lease holds.
 */
export class PostgresDeadLetterStore implements DeadLetterStore {
  readonly kind = 'postgres';
  private dataSource: DeadLetterDataSource | undefined;
  private owned = false;
  private readonly table: string;
  private readonly base: string;

  constructor(private readonly options: PostgresDeadLetterStoreOptions) {
    ({ sql: this.table, base: this.base } = quoteTable(options.table));
    if (!options.dataSource && !options.url) {
      throw new Error('The Postgres dead-letter store needs deadLetter.postgres.dataSource or deadLetter.postgres.url');
    }
  }

  async init(): Promise<void> {
    if (this.options.dataSource) {
      if (!this.options.dataSource.isInitialized) {
        throw new Error('The DataSource given to the dead-letter store is not initialized yet');
      }
      this.dataSource = this.options.dataSource;
    } else {
      // typeorm is loaded only when we create the DataSource ourselves.
      const { DataSource: DataSourceClass } = await import('typeorm');
      const own = new DataSourceClass({
        type: 'postgres',
        url: this.options.url,
        poolSize: this.options.poolSize ?? 2,
        entities: [],
        synchronize: false,
        logging: false,
      });
      await own.initialize();
      this.dataSource = own;
      this.owned = true;
    }
    if (this.options.createTable) await this.createTable();
  }

  async add(letter: NewDeadLetter): Promise<string> {
    const { rows } = await this.run<{ id: string }>(
      `INSERT INTO ${this.table} (queue, record, error, meta, created_at)
       VALUES ($1, $2::jsonb, $3::jsonb, $4::jsonb, $5) RETURNING id`,
      [letter.queue, toJson(letter.record ?? null), toJson(letter.error), toJson(letter.meta), letter.createdAt],
    );
    return String(rows[0]!.id);
  }

  async list(queue: string, { limit, afterId }: ListOptions): Promise<DeadLetterRecord[]> {
    const { rows } = await this.run(`SELECT * FROM ${this.table} WHERE queue = $1 AND id > $2 ORDER BY id LIMIT $3`, [
      queue,
      afterId ?? '0',
      limit,
    ]);
    return rows.map(toLetter);
  }

  async get(queue: string, id: string): Promise<DeadLetterRecord | undefined> {
    const { rows } = await this.run(`SELECT * FROM ${this.table} WHERE queue = $1 AND id = $2`, [queue, id]);
    return rows[0] === undefined ? undefined : toLetter(rows[0]);
  }

  async replayBound(queue: string): Promise<string | undefined> {
    const { rows } = await this.run<{ id: string | null }>(
      `SELECT max(id)::text AS id FROM ${this.table} WHERE queue = $1`,
      [queue],
    );
    return rows[0]?.id ?? undefined;
  }

  async claim(
    queue: string,
    { limit, afterId, bound, maxAttempts, leaseMs }: ClaimOptions,
  ): Promise<DeadLetterRecord[]> {
    if (bound === undefined) return [];
    const { rows } = await this.run(
      `UPDATE ${this.table} SET lease_until = now() + ($6::double precision * interval '1 millisecond')
       WHERE id IN (
         SELECT id FROM ${this.table}
         WHERE queue = $1 AND id > $2 AND id <= $3 AND attempts < $4
           AND (lease_until IS NULL OR lease_until < now())
         ORDER BY id LIMIT $5 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [queue, afterId ?? '0', bound, maxAttempts, limit, leaseMs],
    );
    return rows.map(toLetter).sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  }

  async remove(queue: string, id: string): Promise<boolean> {
    const { affected } = await this.run(`DELETE FROM ${this.table} WHERE queue = $1 AND id = $2`, [queue, id]);
    return affected > 0;
  }

  async recordFailure(queue: string, letter: DeadLetterRecord, error: DeadLetterErrorInfo, at: Date): Promise<void> {
    await this.run(
      `UPDATE ${this.table} SET attempts = attempts + 1, last_error = $3::jsonb, last_attempt_at = $4, lease_until = NULL
       WHERE queue = $1 AND id = $2`,
      [queue, letter.id, toJson(error), at],
    );
  }

  async purge(queue: string, { olderThan, ids }: PurgeOptions): Promise<number> {
    const conditions = ['queue = $1'];
    const params: unknown[] = [queue];
    if (olderThan !== undefined) {
      params.push(olderThan);
      conditions.push(`created_at < $${params.length}`);
    }
    if (ids !== undefined) {
      params.push(ids.filter((id) => /^\d+$/.test(id)));
      conditions.push(`id = ANY($${params.length}::bigint[])`);
    }
    const { affected } = await this.run(`DELETE FROM ${this.table} WHERE ${conditions.join(' AND ')}`, params);
    return affected;
  }

  async count(queue: string): Promise<number> {
    const { rows } = await this.run<{ n: number }>(`SELECT count(*)::int AS n FROM ${this.table} WHERE queue = $1`, [
      queue,
    ]);
    return Number(rows[0]?.n ?? 0);
  }

  async queues(): Promise<string[]> {
    const { rows } = await this.run<{ queue: string }>(`SELECT DISTINCT queue FROM ${this.table}`);
    return rows.map((row) => row.queue);
  }

  async trim(queue: string, { olderThan, maxEntries }: { olderThan: Date; maxEntries: number }): Promise<number> {
    const aged = await this.run(`DELETE FROM ${this.table} WHERE queue = $1 AND created_at < $2`, [queue, olderThan]);
    const surplus = await this.run(
      `DELETE FROM ${this.table} WHERE id IN (
         SELECT id FROM ${this.table} WHERE queue = $1 ORDER BY id DESC OFFSET $2)`,
      [queue, maxEntries],
    );
    return aged.affected + surplus.affected;
  }

  async ping(): Promise<void> {
    await this.run('SELECT 1');
  }

  async close(): Promise<void> {
    const dataSource = this.dataSource;
    this.dataSource = undefined;
    if (this.owned && dataSource?.isInitialized) await dataSource.destroy();
  }

  private async createTable(): Promise<void> {
    const runner = this.source().createQueryRunner();
    try {
      await runner.startTransaction();
      // Two instances starting together would race on CREATE TABLE IF NOT EXISTS (pg_type unique violation).
      await runner.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.table]);
      await runner.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
        id BIGSERIAL PRIMARY KEY,
        queue TEXT NOT NULL,
        record JSONB,
        error JSONB NOT NULL,
        meta JSONB NOT NULL DEFAULT '{}'::jsonb,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error JSONB,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        last_attempt_at TIMESTAMPTZ,
        lease_until TIMESTAMPTZ
      )`);
      await runner.query(
        `CREATE INDEX IF NOT EXISTS "${this.base}_queue_created_idx" ON ${this.table} (queue, created_at)`,
      );
      await runner.query(`CREATE INDEX IF NOT EXISTS "${this.base}_queue_id_idx" ON ${this.table} (queue, id)`);
      await runner.commitTransaction();
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  private source(): DeadLetterDataSource {
    if (this.dataSource === undefined) throw new Error('The Postgres dead-letter store is not initialized or closed');
    return this.dataSource;
  }

  private async run<R = Row>(sql: string, params: unknown[] = []): Promise<{ rows: R[]; affected: number }> {
    const runner = this.source().createQueryRunner();
    try {
      const result = (await runner.query(sql, params, true)) as { records?: R[]; affected?: number };
      return { rows: result.records ?? [], affected: result.affected ?? 0 };
    } finally {
      await runner.release();
    }
  }
}

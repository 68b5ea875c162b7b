import type { Redis } from 'ioredis';

/** How many client connections a server accepts, and how many of those are kept for others. */
export interface ServerConnectionLimit {
  /** `max_connections` (Postgres) or `maxclients` (Redis). */
  readonly max: number;
  /** Slots only superusers or privileged roles may use (Postgres); 0 for Redis. */
  readonly reserved: number;
  /** What ordinary clients like our pools can open at most: `max - reserved`. */
  readonly usable: number;
}

type RunQuery = <R extends Record<string, unknown>>(sql: string) => Promise<{ rows: R[] }>;

// `reserved_connections` exists from PostgreSQL 16; current_setting(name, true) is NULL before that.
const POSTGRES_LIMIT_SQL = `SELECT current_setting('max_connections')::int AS max,
  current_setting('superuser_reserved_connections')::int AS superuser,
  coalesce(current_setting('reserved_connections', true), '0')::int AS privileged`;

/**
 * The server's `max_connections` minus `superuser_reserved_connections` (and `reserved_connections`
 * on PostgreSQL 16+): an application role can never have more. `undefined` when it cannot be read.
 */
export async function readPostgresLimit(query: RunQuery): Promise<ServerConnectionLimit | undefined> {
  const result = await query<{ max: number; superuser: number; privileged: number }>(POSTGRES_LIMIT_SQL).catch(
    () => undefined,
  );
  const row = result?.rows[0];
  if (!row || !(Number(row.max) > 0)) return undefined;
  const max = Number(row.max);
  const reserved = Number(row.superuser) + Number(row.privileged);
  return { max, reserved, usable: Math.max(0, max - reserved) };
}

/**
 * Redis `maxclients` through `CONFIG GET`. Managed Redis services and ACLs often refuse CONFIG:
 * then the limit is unknown (`undefined`) and nothing is capped by it, which the caller says once.
 */
export async function readRedisMaxClients(client: Redis): Promise<{ limit?: ServerConnectionLimit; refused?: string }> {
  try {
    const reply = (await client.call('CONFIG', 'GET', 'maxclients')) as unknown;
    const pairs = Array.isArray(reply) ? reply.map(String) : [];
    const max = Number(pairs[pairs.indexOf('maxclients') + 1]);
    if (pairs.includes('maxclients') && max > 0) return { limit: { max, reserved: 0, usable: max } };
    return { refused: 'CONFIG GET maxclients returned no value' };
  } catch (error) {
    return { refused: (error as Error)?.message ?? String(error) };
  }
}

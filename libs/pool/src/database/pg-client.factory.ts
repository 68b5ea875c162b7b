import pg from 'pg';

import type { PoolFactory } from '../resource-pool/resource-pool.options.js';

/** The Client class a factory builds: pg's own, or one handed in through `config.Client`. */
export type PgClientClass = new (config: pg.ClientConfig) => pg.Client;

/** pg keeps its socket on `connection.stream`; there is no public way to cut a connection at once. */
interface ClientInternals {
  connection?: { stream?: { destroy(error?: Error): void } };
}

/** Cuts the connection now: an in-flight query fails, `error`/`end` fire, the pool replaces it. */
export function destroyPgConnection(client: pg.Client): void {
  (client as unknown as ClientInternals).connection?.stream?.destroy();
}

/** Ends a client politely, but gives up (and cuts the socket) after `timeoutMs`. */
export async function endPgClient(client: pg.Client, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      destroyPgConnection(client);
      resolve();
    }, timeoutMs);
    timer.unref();
  });
  try {
    await Promise.race([client.end().catch(() => undefined), gaveUp]);
  } finally {
    clearTimeout(timer);
  }
}

export interface PgClientFactoryOptions {
  readonly config: pg.ClientConfig;
  readonly Client?: PgClientClass;
  /** How long `end()` may take when a client is destroyed. */
  readonly endTimeoutMs: number;
  /** SQL that proves a connection works. Default `SELECT 1`. */
  readonly validationQuery?: string;
}

/**
 * Opens pg clients for a ResourcePool. Each client carries one permanent `error` listener, so a
 * backend that dies while the client is idle (pg_terminate_backend, a failover, a proxy timeout)
 * becomes a counted, logged replacement instead of an unhandled `error` event that kills the process.
 */
export function pgClientFactory(options: PgClientFactoryOptions): PoolFactory<pg.Client> {
  const Client = options.Client ?? pg.Client;
  const validationQuery = options.validationQuery ?? 'SELECT 1';
  return {
    async create({ signal, invalidate }) {
      const client = new Client(options.config);
      client.on('error', (error: Error) => invalidate(error));
      client.on('end', () => invalidate(new Error('connection ended')));
      const onAbort = () => destroyPgConnection(client);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await client.connect();
      } catch (error) {
        destroyPgConnection(client);
        throw error;
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
      return client;
    },
    destroy: (client) => endPgClient(client, options.endTimeoutMs),
    async validate(client, signal) {
      const onAbort = () => destroyPgConnection(client);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await client.query(validationQuery);
        return true;
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
  };
}

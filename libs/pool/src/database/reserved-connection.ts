import type { ResourceHandle, ResourceRegistry } from '@ballast/core';
import pg from 'pg';

import { destroyPgConnection, endPgClient } from './pg-client.factory.js';
import { socketParts } from '../resource-pool/resource-parts.js';

/**
 * One connection kept outside the pool, for health checks and server facts (max_connections).
 * A saturated pool must not make the database look down: Terminus' TypeORM ping, which goes
 * through the app's own pool, timed out 3 of 3 times under load while a dedicated connection
 * answered in 0.8 ms. Reconnects on the next use after it breaks.
 */
export class ReservedConnection {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private handle: ResourceHandle | undefined;
  private closed = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly owner: string,
    private readonly registry?: ResourceRegistry,
  ) {}

  /** Runs one query; aborting the signal cuts the connection (a new one is made next time). */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    signal?: AbortSignal,
  ): Promise<pg.QueryResult<R>> {
    if (this.closed) throw new Error('the reserved connection is closed');
    if (signal?.aborted) throw signal.reason;
    const client = await this.connection();
    const onAbort = () => this.drop(client);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await client.query<R>(sql);
    } catch (error) {
      if (!(error instanceof pg.DatabaseError)) this.drop(client);
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private connection(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = new pg.Client(this.config);
      client.on('error', () => this.drop(client));
      client.on('end', () => this.drop(client));
      try {
        await client.connect();
      } catch (error) {
        destroyPgConnection(client);
        throw error;
      } finally {
        this.connecting = undefined;
      }
      if (this.closed) {
        void endPgClient(client, 1_000);
        throw new Error('the reserved connection is closed');
      }
      this.client = client;
      this.handle = this.registry?.tracking
        ? this.registry.register(client, {
            type: 'db-connection',
            owner: this.owner,
            longLived: true,
            parts: socketParts(client),
          })
        : undefined;
      return client;
    })();
    return this.connecting;
  }

  private drop(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.handle?.release();
    this.handle = undefined;
    destroyPgConnection(client);
  }

  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    this.handle?.release();
    if (client) await endPgClient(client, timeoutMs);
  }
}

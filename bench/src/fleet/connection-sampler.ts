import pg from 'pg';

/**
 * Counts the server connections open to one database (pg_stat_activity, the sampler's own left
 * out) every `intervalMs`, and reads the server's `max_connections`: what a fleet of pools
 * really holds against what the server allows.
 */
export class ConnectionSampler {
  maxInUse = 0;
  samples = 0;
  serverLimit = 0;
  /** `superuser_reserved_connections`: ordinary roles get `serverLimit` minus this. */
  reserved = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  private constructor(private readonly client: pg.Client) {}

  static async start(databaseUrl: string, intervalMs = 200): Promise<ConnectionSampler> {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const sampler = new ConnectionSampler(client);
    const limit = await client.query<{ max_connections: string }>('SHOW max_connections');
    const reserved = await client.query<{ superuser_reserved_connections: string }>(
      'SHOW superuser_reserved_connections',
    );
    sampler.serverLimit = Number(limit.rows[0]!.max_connections);
    sampler.reserved = Number(reserved.rows[0]!.superuser_reserved_connections);
    const tick = () => {
      sampler.running = sampler
        .sample()
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => {
          if (sampler.timer) sampler.timer = setTimeout(tick, intervalMs);
        });
    };
    sampler.timer = setTimeout(tick, 0);
    return sampler;
  }

  /** One sample now (also called by scenarios at moments that matter, e.g. mid-restart). */
  async sample(): Promise<number> {
    const { rows } = await this.client.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    const n = rows[0]!.n;
    this.samples++;
    this.maxInUse = Math.max(this.maxInUse, n);
    return n;
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running.catch(() => undefined);
    await this.client.end();
  }
}

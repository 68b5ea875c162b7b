import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedDatabaseOptions {
  /** Connections the socket server accepts at once; its default of 1 terminates the rest. */
  readonly maxConnections?: number;
  /** Directory to keep data in; in memory when absent. */
  readonly dataDir?: string;
}

/**
 * PostgreSQL compiled to WASM (PGlite) served on a loopback port, so the demo runs the very same pg
 * driver, pool and SQL with no server installed. Used only when DATABASE_URL is not set.
 */
export class EmbeddedDatabase {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    /** `postgres://postgres@127.0.0.1:<port>/postgres` */
    readonly url: string,
  ) {}

  static async start(options: EmbeddedDatabaseOptions = {}): Promise<EmbeddedDatabase> {
    const db = await PGlite.create(options.dataDir);
    const server = new PGLiteSocketServer({
      db,
      host: '127.0.0.1',
      port: 0,
      maxConnections: options.maxConnections ?? 8,
    });
    try {
      await server.start();
    } catch (error) {
      await db.close();
      throw error;
    }
    return new EmbeddedDatabase(db, server, `postgres://postgres@${server.getServerConn()}/postgres`);
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
  }
}

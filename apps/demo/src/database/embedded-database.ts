import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedDatabaseOptions {
  /** Connections the socket server accepts at once; its default of 1 terminates the rest. */
  readonly maxConnections?: number;
  /** Directory to keep data in; in memory when absent. */
  readonly dataDir?: string;
  /** PostgreSQL `shared_buffers` in MB; PGlite's own default (about 160 MB) was most of the demo's memory. */
  readonly sharedBuffersMb?: number;
}

/** The embedded database's buffer pool unless told otherwise: ample for the demo's few thousand rows. */
export const EMBEDDED_DEFAULT_SHARED_BUFFERS_MB = 16;

/**
 * The WASM memory PGlite starts with, in MB: pglite.wasm declares it as its minimum, so it cannot be
 * smaller. A buffer pool that fits in it (with room for the rest of postgres) never grows it.
 */
export const EMBEDDED_WASM_INITIAL_MB = 128;

/** WAL segment size given to initdb, in MB (PostgreSQL's default is 16). */
export const EMBEDDED_WAL_SEGMENT_MB = 1;

/** Most WAL kept between checkpoints, in MB (PostgreSQL's default is 1 GB). */
export const EMBEDDED_MAX_WAL_MB = 16;

/** The postgres settings that size the embedded database's memory, on top of PGlite's own. */
export function embeddedStartParams(sharedBuffersMb: number): string[] {
  return [
    ...PGlite.defaultStartParams,
    // The buffer pool lives in the WASM memory; pages become resident as they are used.
    ...['-c', `shared_buffers=${sharedBuffersMb}MB`],
    // WAL segments are files of the in-memory file system, so WAL is RSS too: keep it small.
    ...['-c', `min_wal_size=${2 * EMBEDDED_WAL_SEGMENT_MB}MB`, '-c', `max_wal_size=${EMBEDDED_MAX_WAL_MB}MB`],
  ];
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
    compileWasmWithLiftoffOnly();
    const db = await PGlite.create({
      dataDir: options.dataDir,
      startParams: embeddedStartParams(options.sharedBuffersMb ?? EMBEDDED_DEFAULT_SHARED_BUFFERS_MB),
      initDbStartParams: [`--wal-segsize=${EMBEDDED_WAL_SEGMENT_MB}`],
    });
    await collectStartupGarbage();
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

/**
 * V8 compiles WASM with its baseline compiler (Liftoff), then recompiles hot functions with TurboFan
 * on background threads. For pglite.wasm (9 MB) that second tier cost about 100 MB of resident memory
 * that stayed: optimised code plus compilation memory that glibc's per-thread arenas keep (the
 * database alone idled at 250-305 MB RSS, 184-200 MB with Liftoff only). Baseline code costs about
 * 0.05 ms more per small query (docs/operations.md), nothing next to a request's HTTP and pool work.
 * The flag is process-wide; only WASM compiled after it is affected (the demo compiles no other).
 */
function compileWasmWithLiftoffOnly(): void {
  setFlagsFromString('--liftoff-only');
}

const STARTUP_COLLECTIONS = 3;

/**
 * PGlite runs initdb in a second PostgreSQL instance and copies that instance's WASM memory: several
 * hundred MB that are garbage once `create()` returns. V8 does not weigh WASM memory when it decides
 * to collect, so on an idle service that garbage stayed resident (the demo idled at 790 MB RSS).
 * One full collection, once, at start-up, returns it; the same switch Jest uses to find leaks.
 */
async function collectStartupGarbage(): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  // The first collection after a turn of the event loop frees the copied heap; V8 lets the WASM
  // memory itself go only on the next one.
  for (let round = 0; round < STARTUP_COLLECTIONS; round++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    gc();
  }
}

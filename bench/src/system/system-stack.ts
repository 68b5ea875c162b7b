import pg from 'pg';

import { DemoProcess } from './demo-process.js';
import { FaultProxy } from './fault-proxy.js';

export interface SystemEnv {
  /** The PostgreSQL database the demo writes to (its own: the suite truncates `ticket`). */
  readonly databaseUrl: string;
  /** Redis, with the DB index to use. */
  readonly redisUrl: string;
  readonly quick: boolean;
  readonly log: (line: string) => void;
}

/** The demo with both of its servers behind fault proxies, and a few tickets to read. */
export interface SystemStack {
  readonly demo: DemoProcess;
  readonly postgres: FaultProxy;
  readonly redis: FaultProxy;
  readonly readIds: readonly number[];
}

function throughProxy(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(port);
  return parsed.toString();
}

/** Starts proxies and the built demo behind them, runs `body`, and tears all of it down. */
export async function withStack<T>(
  env: SystemEnv,
  body: (stack: SystemStack) => Promise<T>,
  extraEnv: Record<string, string> = {},
): Promise<T> {
  const db = new URL(env.databaseUrl);
  const rd = new URL(env.redisUrl);
  const postgres = new FaultProxy(db.hostname, Number(db.port || 5432));
  const redis = new FaultProxy(rd.hostname, Number(rd.port || 6379));
  await postgres.listen();
  await redis.listen();
  let demo: DemoProcess | undefined;
  try {
    demo = await DemoProcess.start({
      DATABASE_URL: throughProxy(env.databaseUrl, postgres.port),
      REDIS_URL: throughProxy(env.redisUrl, redis.port),
      ...extraEnv,
    });
    const readIds: number[] = [];
    for (let i = 0; i < 20; i++) {
      const response = await fetch(`${demo.url}/tickets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: `system-seed-${i}`, priority: 1 + (i % 5) }),
      });
      if (response.status !== 201) throw new Error(`seeding a ticket answered ${response.status}`);
      readIds.push(((await response.json()) as { id: number }).id);
    }
    return await body({ demo, postgres, redis, readIds });
  } finally {
    if (demo) {
      const exit = await demo.stop(30_000);
      if (exit.killed) env.log('the demo did not exit within 30 s of SIGTERM and was killed');
    }
    await postgres.close();
    await redis.close();
  }
}

/** Empties the demo's table in the suite's own database, so every run starts from the same size. */
export async function resetTickets(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('TRUNCATE ticket RESTART IDENTITY');
  } catch (error) {
    if ((error as { code?: string }).code !== '42P01') throw error; // no table yet: the demo creates it
  } finally {
    await client.end();
  }
}

/** Acknowledged writes missing from PostgreSQL, checked row by row, straight to the server (not through the proxy). */
export async function lostWrites(databaseUrl: string, ids: readonly number[]): Promise<number> {
  if (ids.length === 0) return 0;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const unique = [...new Set(ids)];
    const { rows } = await client.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM ticket WHERE id = ANY($1::int[])',
      [unique],
    );
    return unique.length - rows[0]!.n;
  } finally {
    await client.end();
  }
}

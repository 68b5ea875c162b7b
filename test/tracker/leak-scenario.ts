/**
 * A mixed leak scenario over real resources, time compressed: the tracker's clock is virtual
 * (one tick = 10 s), the resources are real (FileHandles, raw fds, TCP sockets, timers, pg and
 * ioredis connections, user objects) and every close is a real close. Files are opened through
 * the `fs` object: Jest gives ESM named imports of builtins as a snapshot that does not follow
 * wrappers installed later (plain Node does, through syncBuiltinESMExports).
 */
import fs, { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { ResourceLeak } from '@ballast/core';
import { fileHandleSignal, ResourceTracker, socketSignal, timerSignal } from '@ballast/tracker';
import { Redis } from 'ioredis';
import pg from 'pg';

import { DATABASE_URL, REDIS_URL } from '../support/services.js';

export type Fate = 'leaked' | 'abandoned' | 'long-lived' | 'slow' | 'self-closing' | 'closed';
type Kind = 'file-handle' | 'fd' | 'socket' | 'timeout' | 'interval' | 'user-object' | 'db-connection' | 'redis-client';

/** How many of each type get each fate (200 resources, 8 types, 30% leaked or abandoned). */
const PLAN: Record<Kind, Partial<Record<Fate, number>>> = {
  'file-handle': { leaked: 6, abandoned: 8, 'long-lived': 4, slow: 6, closed: 16 },
  fd: { leaked: 8, 'long-lived': 3, slow: 4, closed: 10 },
  socket: { leaked: 10, 'long-lived': 4, slow: 6, 'self-closing': 12, closed: 8 },
  timeout: { leaked: 3, 'self-closing': 8, closed: 4 },
  interval: { leaked: 4, 'long-lived': 3, slow: 3, closed: 5 },
  'user-object': { leaked: 6, abandoned: 8, 'long-lived': 4, slow: 6, closed: 25 },
  'db-connection': { leaked: 3, 'long-lived': 2, slow: 3, closed: 2 },
  'redis-client': { leaked: 2, 'long-lived': 1, slow: 1, closed: 2 },
};

export const TICK_MS = 10_000;
export const DEFAULT_LIMIT_MS = 5 * 60_000;
/** Slow resources belong to this owner, whose limit is 15 min; they are released at 12 min. */
const SLOW_OWNER = 'ReportJob';
const SLOW_RELEASE_MS = 12 * 60_000;
const DURATION_MS = 20 * 60_000;
const COLLECT_EVERY_MS = 60_000;

interface Planned {
  id: string;
  kind: Kind;
  fate: Fate;
  owner: string;
  close?: () => unknown;
}

export interface ScenarioResult {
  planned: Planned[];
  flagged: Map<string, ResourceLeak>;
  detectionRate: number;
  falsePositiveRate: number;
  missed: Planned[];
  falsePositives: ResourceLeak[];
  wrongAttribution: Planned[];
  abandonedNotCollected: Planned[];
}

/** mulberry32: the same order of operations on every run. */
export function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function once(fn: (() => unknown) | undefined): (() => unknown) | undefined {
  let done = false;
  return fn && (() => (done ? undefined : ((done = true), fn())));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function listen(onConnection: (socket: Socket) => void): Promise<Server> {
  const server = createServer(onConnection);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/**
 * `collect` runs once a simulated minute. It is told whether every abandoned object has been
 * collected yet (seen through the scenario's own WeakRefs, which keep nothing alive), so a caller
 * that only makes garbage can keep making it until V8 has run the major GC it is waiting for.
 */
export async function runLeakScenario(
  seed: number,
  collect: (abandonedCollected: () => boolean) => Promise<void> | void,
): Promise<ScenarioResult> {
  const random = seeded(seed);
  let now = 1_700_000_000_000;
  const tracker = new ResourceTracker({
    defaultMaxLifetimeMs: DEFAULT_LIMIT_MS,
    limits: [{ owner: SLOW_OWNER, maxLifetimeMs: 15 * 60_000 }],
    stackSampling: 'all',
    now: () => now,
  });
  const dir = mkdtempSync(join(tmpdir(), 'ballast-leaks-'));
  const file = join(dir, 'data.txt');
  writeFileSync(file, 'x'.repeat(1024));
  const serverSockets = new Set<Socket>();
  const keepServer = await listen((s) => {
    serverSockets.add(s);
    s.on('close', () => serverSockets.delete(s));
  });
  const endServer = await listen((s) => s.end());
  const port = (server: Server) => (server.address() as { port: number }).port;

  // Pool-style clients connect before the signals start, so their own sockets and timers are not
  // counted twice: they are registered once, as what they are.
  const planned: Planned[] = [];
  const order: Array<[Kind, Fate]> = [];
  for (const [kind, fates] of Object.entries(PLAN) as Array<[Kind, Partial<Record<Fate, number>>]>) {
    for (const [fate, n] of Object.entries(fates) as Array<[Fate, number]>) {
      for (let i = 0; i < n; i++) order.push([kind, fate]);
    }
  }
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  for (const [kind, fate] of order.filter(([k]) => k === 'db-connection' || k === 'redis-client')) {
    const owner = fate === 'slow' ? SLOW_OWNER : kind === 'db-connection' ? 'OrdersRepository' : 'SessionStore';
    if (kind === 'db-connection') {
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      const close = () => client.end();
      const handle = tracker.register(client, { type: kind, owner, details: { url: DATABASE_URL } });
      planned.push({ id: handle.id, kind, fate, owner, close: once(async () => (await close(), handle.release())) });
    } else {
      const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await client.connect();
      const close = async () => void (await client.quit());
      const handle = tracker.register(client, { type: kind, owner });
      planned.push({ id: handle.id, kind, fate, owner, close: once(async () => (await close(), handle.release())) });
    }
  }

  const stops = [fileHandleSignal.start(tracker), socketSignal.start(tracker), timerSignal(20).start(tracker)];
  const known = new Set(tracker.list().map((r) => r.id));
  const newId = (): string => {
    // The scenario's own servers' side of each connection is not one of the planned resources.
    const fresh = tracker.list().filter((r) => !known.has(r.id) && r.type !== 'server-socket');
    if (fresh.length !== 1) throw new Error(`expected one new tracked resource, got ${fresh.length}`);
    known.add(fresh[0]!.id);
    return fresh[0]!.id;
  };
  const held: unknown[] = [];
  const timers: NodeJS.Timeout[] = [];
  const heldSockets: Socket[] = [];
  // Counted by a FinalizationRegistry of the scenario's own: a WeakRef's deref() would keep the
  // objects alive through any incremental marking it ran during.
  let abandoned = 0;
  let abandonedGone = 0;
  const abandonedWatch = new FinalizationRegistry<void>(() => abandonedGone++);
  const abandon = (object: object) => {
    abandoned++;
    abandonedWatch.register(object);
  };
  const abandonedCollected = () => abandonedGone === abandoned;

  try {
    for (const [kind, fate] of order) {
      if (process.env.SCENARIO_DEBUG) process.stderr.write(`${kind}/${fate}\n`);
      if (kind === 'db-connection' || kind === 'redis-client') continue;
      const owner = fate === 'slow' ? SLOW_OWNER : `${kind}-owner`;
      const entry: Planned = { id: '', kind, fate, owner };
      switch (kind) {
        case 'file-handle': {
          if (fate === 'abandoned') {
            abandon(await tracker.runAs(owner, () => fs.promises.open(file, 'r')));
          } else {
            const fh = await tracker.runAs(owner, () => fs.promises.open(file, 'r'));
            held.push(fh);
            entry.close = () => fh.close();
          }
          break;
        }
        case 'fd': {
          const fd = tracker.runAs(owner, () => fs.openSync(file, 'r'));
          entry.close = () => fs.closeSync(fd);
          break;
        }
        case 'socket': {
          const target = fate === 'self-closing' ? endServer : keepServer;
          const socket = tracker.runAs(owner, () => connect(port(target), '127.0.0.1'));
          socket.on('error', () => undefined);
          heldSockets.push(socket);
          entry.close = () => socket.destroy();
          break;
        }
        case 'timeout': {
          const delay = fate === 'self-closing' ? 30 : 60 * 60_000;
          const timer = tracker.runAs(owner, () => setTimeout(() => undefined, delay));
          timer.unref();
          timers.push(timer);
          entry.close = () => clearTimeout(timer);
          break;
        }
        case 'interval': {
          const timer = tracker.runAs(owner, () => setInterval(() => undefined, 60 * 60_000));
          timer.unref();
          timers.push(timer);
          entry.close = () => clearInterval(timer);
          break;
        }
        case 'user-object': {
          const object = { kind, buffer: new Array(64).fill(0) };
          const handle = tracker.register(object, { type: kind, owner });
          if (fate === 'abandoned') abandon(object);
          else held.push(object);
          entry.close = () => handle.release();
          break;
        }
      }
      entry.id = newId();
      entry.close = once(entry.close);
      planned.push(entry);
    }
    for (const entry of planned) if (entry.fate === 'long-lived') tracker.declareLongLived(entry.id);

    // Let the real world happen: connections land, servers end theirs, short timeouts fire.
    await sleep(150);
    for (const entry of planned) if (entry.fate === 'closed') await entry.close?.();
    held.push(heldSockets);

    const flagged = new Map<string, ResourceLeak>();
    tracker.addListener({ onLeak: (leak) => flagged.set(leak.id, leak) });
    for (let t = TICK_MS; t <= DURATION_MS; t += TICK_MS) {
      now += TICK_MS;
      for (const entry of planned) {
        if (entry.fate === 'slow' && t === SLOW_RELEASE_MS) await entry.close?.();
      }
      // A scan's deref() keeps its targets alive until the end of the job it runs in, so the
      // allocation (or gc) must run in a later job, as it does in an app.
      await tick();
      if (t % COLLECT_EVERY_MS === 0) await collect(abandonedCollected);
      await tick();
      tracker.scan();
    }
    for (const leak of tracker.detectLeaks()) if (!flagged.has(leak.id)) flagged.set(leak.id, leak);

    const leaks = planned.filter((p) => p.fate === 'leaked' || p.fate === 'abandoned');
    const plannedById = new Map(planned.map((p) => [p.id, p]));
    const missed = leaks.filter((p) => !flagged.has(p.id));
    const wrongAttribution = leaks.filter((p) => {
      const leak = flagged.get(p.id);
      return leak !== undefined && (leak.type !== p.kind || leak.owner !== p.owner);
    });
    const falsePositives = [...flagged.values()].filter((leak) => {
      const fate = plannedById.get(leak.id)?.fate;
      return fate !== 'leaked' && fate !== 'abandoned';
    });
    const abandonedNotCollected = planned.filter(
      (p) => p.fate === 'abandoned' && flagged.get(p.id)?.reason !== 'collected-without-close',
    );
    const notLeaks = planned.length - leaks.length;
    return {
      planned,
      flagged,
      detectionRate: (leaks.length - missed.length - wrongAttribution.length) / leaks.length,
      falsePositiveRate: falsePositives.length / notLeaks,
      missed,
      falsePositives,
      wrongAttribution,
      abandonedNotCollected,
    };
  } finally {
    for (const stop of stops) stop();
    for (const timer of timers) clearTimeout(timer);
    for (const entry of planned) {
      await Promise.resolve()
        .then(entry.close)
        .catch(() => undefined);
    }
    for (const s of serverSockets) s.destroy();
    await new Promise((resolve) => keepServer.close(resolve));
    await new Promise((resolve) => endServer.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

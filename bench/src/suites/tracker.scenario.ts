/**
 * Mixed leak scenarios over real resources, time compressed: the tracker's clock is virtual (one
 * tick = 10 s), the resources are real and every close is a real close. The tracker is the one
 * `ResourceTrackerModule` builds from the options given (defaults unless a configuration says
 * otherwise), with its owners read from the app's own AsyncLocalStorage: every resource is opened
 * inside `als.run({ owner }, ...)`, no `runAs`. Each resource gets a seeded fate; a leak counts as
 * found when the tracker reports it with the right type and owner.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { ResourceLeak } from '@ballast/core';
import {
  ResourceTracker,
  signalsFrom,
  trackerConfigFrom,
  trackerOptions,
  type ResourceTrackerModuleOptions,
} from '@ballast/tracker';

import {
  SEEN_KINDS,
  UNSEEN_KINDS,
  type Fate,
  type Kind,
  type KindContext,
  type Opened,
} from './tracker.scenario-kinds.js';

export type { Fate } from './tracker.scenario-kinds.js';

/** How many of each kind get each fate. */
export type Plan = Record<string, Partial<Record<Fate, number>>>;

/** The first scenario: the shape of issue 14's run (200 resources, 8 types, 30% leaks). */
export const SEEN_PLAN: Plan = {
  'file-handle': { leaked: 6, abandoned: 8, 'long-lived': 4, slow: 6, closed: 16 },
  fd: { leaked: 8, 'long-lived': 3, slow: 4, closed: 10 },
  socket: { leaked: 10, 'long-lived': 4, slow: 6, 'self-closing': 12, closed: 8 },
  timeout: { leaked: 3, 'self-closing': 8, closed: 4 },
  interval: { leaked: 4, 'long-lived': 3, slow: 3, closed: 5 },
  'user-object': { leaked: 6, abandoned: 8, 'long-lived': 4, slow: 6, closed: 25 },
  'db-connection': { leaked: 3, 'long-lived': 2, slow: 3, closed: 2 },
  'redis-client': { leaked: 2, 'long-lived': 1, slow: 1, closed: 2 },
};

/** The second scenario: other creation paths and close paths, none of which the first one uses. */
export const UNSEEN_PLAN: Plan = {
  'new-socket-connect': { leaked: 5, 'long-lived': 2, slow: 2, 'self-closing': 4, closed: 4 },
  'tls-connect': { leaked: 4, 'long-lived': 1, slow: 2, 'self-closing': 3, closed: 3 },
  'pg-client': { leaked: 3, 'long-lived': 1, slow: 1, closed: 3 },
  'udp-socket': { leaked: 4, 'long-lived': 2, slow: 2, closed: 4 },
  'fs-watch': { leaked: 4, 'long-lived': 2, slow: 2, closed: 4 },
  'fs-watch-file': { leaked: 3, 'long-lived': 1, slow: 1, closed: 3 },
  'fs-promises-watch': { leaked: 3, 'long-lived': 1, slow: 1, closed: 3 },
  'immediate-loop': { leaked: 3, 'long-lived': 1, slow: 1, 'self-closing': 2, closed: 3 },
  'listener-growth': { leaked: 4, 'long-lived': 1, slow: 2, closed: 4 },
  'fs-open-callback': { leaked: 4, 'long-lived': 1, slow: 2, closed: 4 },
  'timeout-closed-by-close': { leaked: 2, 'self-closing': 0, slow: 2, closed: 5 },
  'interval-cleared-by-id': { leaked: 2, 'long-lived': 1, slow: 2, closed: 5 },
  'file-handle-declared': { leaked: 3, abandoned: 6, 'long-lived': 4, slow: 2, closed: 5 },
};

export const SCENARIOS = {
  seen: { plan: SEEN_PLAN, kinds: SEEN_KINDS },
  unseen: { plan: UNSEEN_PLAN, kinds: UNSEEN_KINDS },
} as const;
export type ScenarioName = keyof typeof SCENARIOS;

export const TICK_MS = 10_000;
/** Slow resources belong to this owner, whose policy allows 15 min; they are released at 12 min. */
export const SLOW_OWNER = 'ReportJob';
const SLOW_POLICY = { owner: SLOW_OWNER, maxLifetimeMs: 15 * 60_000 };
const SLOW_RELEASE_MS = 12 * 60_000;
/** Closed resources are closed at a seeded moment in the first half minute. */
const CLOSE_WITHIN_TICKS = 3;
const DURATION_MS = 20 * 60_000;
const COLLECT_EVERY_MS = 60_000;
/** With `pace: 'steady'`, each kind leaks one resource every this many ticks. */
const LEAK_EVERY_TICKS = 3;

interface Planned {
  kind: string;
  type: string;
  fate: Fate;
  owner: string;
  closeAtTick: number;
  /** Steady pace only: the tick it is opened at (0: before the first tick); negative for pool-style kinds. */
  openAtTick: number;
  id?: string;
  opened?: Opened;
}

export interface ScenarioResult {
  readonly planned: number;
  readonly leaks: number;
  readonly found: number;
  readonly detectionRate: number;
  readonly falsePositives: number;
  readonly falsePositiveRate: number;
  /** What was missed or misattributed, as kind/fate/owner. */
  readonly missed: string[];
  readonly wrongAttribution: string[];
  /** Flags on resources that were no leak, and on records that are not in the plan at all. */
  readonly falsePositiveIds: string[];
  readonly abandonedNotCollected: string[];
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

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function listen(onConnection: (socket: Socket) => void): Promise<Server> {
  const server = createServer(onConnection);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

export interface ScenarioOptions {
  readonly scenario: ScenarioName;
  readonly seed: number;
  /** Module options on top of the defaults (the slow owner's policy and the owner source are added). */
  readonly options?: ResourceTrackerModuleOptions;
  /**
   * Runs once a simulated minute; told whether every abandoned object has been collected yet
   * (seen through a FinalizationRegistry of the scenario's own), so a natural-GC caller can keep
   * making garbage until V8 has run the major GC it waits for.
   */
  readonly collect: (abandonedCollected: () => boolean) => Promise<void> | void;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /**
   * burst (default): everything is opened before the first tick, leaks included, so no group's
   * count of leaks grows after that. steady: each kind's leaks are opened one every
   * LEAK_EVERY_TICKS ticks, as a leak on a code path does; pool-style kinds (opened before the
   * signals start) at that pace on the clock before the first tick.
   */
  readonly pace?: 'burst' | 'steady';
}

/** Runs one scenario and scores the tracker's reports against the plan. */
export async function runLeakScenario(run: ScenarioOptions): Promise<ScenarioResult> {
  const { plan, kinds } = SCENARIOS[run.scenario] as { plan: Plan; kinds: Record<string, Kind> };
  const random = seeded(run.seed);
  let now = 1_700_000_000_000;
  const als = new AsyncLocalStorage<{ owner: string }>();
  const options = trackerOptions.parse({
    ...run.options,
    owner: als,
    leaks: { ...run.options?.leaks, limits: [...(run.options?.leaks?.limits ?? []), SLOW_POLICY] },
    stacks: { sampling: 'all' },
  });
  const tracker = new ResourceTracker({ ...trackerConfigFrom(options), now: () => now });

  const dir = mkdtempSync(join(tmpdir(), 'ballast-leaks-'));
  const file = join(dir, 'data.txt');
  writeFileSync(file, 'x'.repeat(1024));
  let files = 0;
  const serverSockets = new Set<Socket>();
  const keepServer = await listen((s) => {
    serverSockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => serverSockets.delete(s));
  });
  const endServer = await listen((s) => {
    serverSockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => serverSockets.delete(s));
    s.end();
  });
  const port = (server: Server) => (server.address() as { port: number }).port;
  const ctx: KindContext = {
    tracker,
    dir,
    file,
    keepPort: port(keepServer),
    endPort: port(endServer),
    databaseUrl: run.databaseUrl,
    redisUrl: run.redisUrl,
    freshFile: () => {
      const path = join(dir, `watched-${++files}.txt`);
      writeFileSync(path, '');
      return path;
    },
  };

  const planned: Planned[] = [];
  for (const [kind, fates] of Object.entries(plan)) {
    for (const [fate, n] of Object.entries(fates) as Array<[Fate, number]>) {
      for (let i = 0; i < n; i++) {
        const owner = fate === 'slow' ? SLOW_OWNER : `${kind}-owner`;
        const openAtTick = run.pace === 'steady' && fate === 'leaked' ? i * LEAK_EVERY_TICKS : 0;
        planned.push({ kind, type: kinds[kind]!.type, fate, owner, closeAtTick: 0, openAtTick });
      }
    }
  }
  for (let i = planned.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [planned[i], planned[j]] = [planned[j]!, planned[i]!];
  }
  for (const entry of planned) entry.closeAtTick = 1 + Math.floor(random() * CLOSE_WITHIN_TICKS);

  const stops: Array<() => void> = [];
  const flagged = new Map<string, ResourceLeak>();
  let abandoned = 0;
  let abandonedGone = 0;
  const abandonedWatch = new FinalizationRegistry<void>(() => abandonedGone++);
  const abandonedCollected = () => abandonedGone === abandoned;
  const idOf = (entry: Planned) => {
    if (entry.id || !entry.opened) return;
    entry.id = tracker.find(entry.opened.resource() as object)?.id;
  };
  const open = async (entry: Planned) => {
    if (process.env.SCENARIO_DEBUG) process.stderr.write(`open ${entry.kind}/${entry.fate}\n`);
    entry.opened = await als.run({ owner: entry.owner }, () => kinds[entry.kind]!.open(ctx, entry.fate));
    idOf(entry);
    if (process.env.SCENARIO_DEBUG) process.stderr.write(`  -> ${entry.id}\n`);
    if (entry.fate === 'abandoned' && entry.opened.abandon) {
      abandoned++;
      abandonedWatch.register(entry.opened.abandon());
      // Every closure of the entry may hold the object: drop them all.
      entry.opened = undefined;
    }
  };
  const close = async (entry: Planned) => {
    const opened = entry.opened;
    entry.opened = undefined;
    await opened?.close?.();
  };

  try {
    // Pool-style clients are made (and registered by the app) before the signals start, so
    // their own sockets are not counted twice.
    const start = now;
    const before = planned.filter((entry) => kinds[entry.kind]!.before);
    const latest = Math.max(0, ...before.map((entry) => entry.openAtTick));
    // Pool-style kinds: their steady leaks end at the first tick, opened on a clock that only moves on.
    for (const entry of before) if (entry.fate === 'leaked') entry.openAtTick -= latest;
    for (const entry of before.sort((a, b) => a.openAtTick - b.openAtTick)) {
      now = start + entry.openAtTick * TICK_MS;
      await open(entry);
    }
    now = start;
    for (const signal of signalsFrom(options)) stops.push(signal.start(tracker));
    for (const entry of planned) if (!kinds[entry.kind]!.before && entry.openAtTick === 0) await open(entry);

    // Let the real world happen: connections land, servers end theirs, loops make their hops.
    await sleep(150);
    if (process.env.SCENARIO_DEBUG) process.stderr.write(`settled\n`);
    for (const entry of planned) idOf(entry);
    for (const entry of planned) {
      if (entry.fate === 'long-lived' && entry.opened) tracker.declareLongLived(entry.opened.resource() as object);
    }

    tracker.addListener({ onLeak: (leak) => flagged.set(leak.id, leak) });
    let tickNo = 0;
    for (let t = TICK_MS; t <= DURATION_MS; t += TICK_MS) {
      now += TICK_MS;
      tickNo += 1;
      if (process.env.SCENARIO_DEBUG) process.stderr.write(`tick ${tickNo}\n`);
      for (const entry of planned) {
        if (entry.fate === 'closed' && entry.closeAtTick === tickNo) await close(entry);
        if (entry.fate === 'slow' && t === SLOW_RELEASE_MS) await close(entry);
        if (entry.openAtTick === tickNo && !kinds[entry.kind]!.before) {
          await open(entry);
          await sleep(5);
          idOf(entry);
        }
      }
      await tick();
      if (t % COLLECT_EVERY_MS === 0) await run.collect(abandonedCollected);
      await tick();
      tracker.scan();
    }
    for (const leak of tracker.detectLeaks()) if (!flagged.has(leak.id)) flagged.set(leak.id, leak);
    return score(planned, flagged);
  } finally {
    for (const stop of stops.reverse()) stop();
    const debug = (m: string) => process.env.SCENARIO_DEBUG && process.stderr.write(`${m}\n`);
    debug('stopped');
    for (const entry of planned) {
      debug(`closing ${entry.kind}/${entry.fate}`);
      await Promise.resolve(entry)
        .then(close)
        .catch(() => undefined);
    }
    debug('closed');
    const closing = [keepServer, endServer].map((server) => new Promise((resolve) => server.close(resolve)));
    for (const s of serverSockets) s.destroy();
    debug(`server sockets destroyed`);
    await Promise.all(closing);
    rmSync(dir, { recursive: true, force: true });
  }
}

function score(planned: Planned[], flagged: Map<string, ResourceLeak>): ScenarioResult {
  const isLeak = (p: Planned) => p.fate === 'leaked' || p.fate === 'abandoned';
  const leaks = planned.filter(isLeak);
  const label = (p: Planned) => `${p.kind}/${p.fate}/${p.owner}`;
  const missed = leaks.filter((p) => !p.id || !flagged.has(p.id));
  const wrongAttribution = leaks.filter((p) => {
    const leak = p.id ? flagged.get(p.id) : undefined;
    return leak !== undefined && (leak.type !== p.type || leak.owner !== p.owner);
  });
  const byId = new Map(planned.filter((p) => p.id).map((p) => [p.id!, p]));
  const falsePositiveIds = [...flagged.values()]
    .filter((leak) => {
      const entry = byId.get(leak.id);
      return !entry || !isLeak(entry);
    })
    .map((leak) => `${leak.id} ${leak.owner ?? '-'} ${leak.reason}`);
  const notLeaks = planned.length - leaks.length;
  const found = leaks.length - missed.length - wrongAttribution.length;
  return {
    planned: planned.length,
    leaks: leaks.length,
    found,
    detectionRate: found / leaks.length,
    falsePositives: falsePositiveIds.length,
    falsePositiveRate: falsePositiveIds.length / notLeaks,
    missed: missed.map(label),
    wrongAttribution: wrongAttribution.map(label),
    falsePositiveIds,
    abandonedNotCollected: planned
      .filter((p) => p.fate === 'abandoned' && (!p.id || flagged.get(p.id)?.reason !== 'collected-without-close'))
      .map(label),
  };
}

/**
 * Garbage the way a busy service makes it: short-lived objects, some living long enough to be
 * promoted, so the old generation grows and V8 runs its own mark-compact. No explicit GC call.
 * It keeps going until the abandoned objects are gone (or a generous cap), then leaves a few
 * turns for finalizers.
 */
export function naturalGc(): (abandonedCollected: () => boolean) => Promise<void> {
  const survivors: object[][] = [];
  return async (abandonedCollected) => {
    const deadline = Date.now() + 20_000;
    for (let round = 0; ; round++) {
      const batch = new Array<object>(50_000);
      for (let i = 0; i < batch.length; i++) batch[i] = { i, label: `request-${i}` };
      // A response body's worth: large objects go straight to the old generation, as in an app.
      batch.push(new Array<number>(250_000).fill(round));
      survivors.push(batch);
      if (survivors.length > 8) survivors.shift();
      await tick();
      if (round >= 10 && (abandonedCollected() || Date.now() > deadline)) break;
    }
    for (let i = 0; i < 3; i++) await sleep(1);
  };
}

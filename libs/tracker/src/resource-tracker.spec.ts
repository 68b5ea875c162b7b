import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { describe, expect, it } from '@jest/globals';

import { ResourceTracker } from './resource-tracker.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('ResourceTracker', () => {
  it('reports a resource held past the default limit once, and retracts it when released', () => {
    const time = clock();
    const tracker = new ResourceTracker({ defaultMaxLifetimeMs: 1_000, now: time.now });
    const retractions: string[] = [];
    tracker.addListener({ onRetract: (r) => retractions.push(r.message) });
    const socket = {};
    const handle = tracker.register(socket, { type: 'socket', owner: 'Api' });
    time.advance(999);
    expect(tracker.scan().newLeaks).toBe(0);
    time.advance(2);
    expect(tracker.scan().newLeaks).toBe(1);
    expect(tracker.scan().newLeaks).toBe(0);
    expect(tracker.detectLeaks()).toEqual([
      expect.objectContaining({ id: handle.id, type: 'socket', owner: 'Api', reason: 'held-too-long', ageMs: 1_001 }),
    ]);
    time.advance(11_000);
    handle.release();
    handle.release();
    expect(retractions).toEqual(['released after 12 s']);
    expect(tracker.detectLeaks()).toEqual([]);
    expect(tracker.stats).toMatchObject({ open: 0, leaks: 1, retractions: 1 });
  });

  it('picks the most specific lifetime limit and never reports long-lived resources', () => {
    const time = clock();
    const tracker = new ResourceTracker({
      defaultMaxLifetimeMs: 1_000,
      limits: [
        { type: 'db-connection', maxLifetimeMs: 5_000 },
        { owner: 'Reports', maxLifetimeMs: 20_000 },
        { owner: 'Reports', type: 'db-connection', maxLifetimeMs: 60_000 },
      ],
      now: time.now,
    });
    const held = [{}, {}, {}, {}, {}];
    const plain = tracker.register(held[0]!, { type: 'file' });
    const db = tracker.register(held[1]!, { type: 'db-connection', owner: 'Api' });
    const reportsFile = tracker.register(held[2]!, { type: 'file', owner: 'Reports' });
    tracker.register(held[3]!, { type: 'db-connection', owner: 'Reports' });
    const pool = tracker.register(held[4]!, { type: 'db-connection', owner: 'Api' });
    pool.declareLongLived();
    time.advance(30_000);
    expect(
      tracker
        .detectLeaks()
        .map((l) => l.id)
        .sort(),
    ).toEqual([db.id, plain.id, reportsFile.id].sort());
    expect(tracker.detectLeaks({ maxLifetimeMs: 100_000 })).toEqual([]);
    expect(tracker.detectLeaks({ maxLifetimeMs: 10_000 })).toHaveLength(4);
  });

  it('reports a resource dropped without close once the GC has collected it', async () => {
    const tracker = new ResourceTracker({ defaultMaxLifetimeMs: 60_000, stackSampling: 'all' });
    (() => {
      tracker.register({ payload: new Array(100).fill(1) }, { type: 'user-object', owner: 'Jobs' });
    })();
    // Until a scan, the tracker holds what it was given (most is released before one).
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(tracker.stats.collectedWithoutClose).toBe(0);
    expect(tracker.scan().collectedWithoutClose).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    // FinalizationRegistry callbacks run in a task of their own after the collection.
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(tracker.scan().collectedWithoutClose).toBe(1);
    expect(tracker.stats.collectedWithoutClose).toBe(1);
    const [leak] = tracker.detectLeaks();
    expect(leak).toMatchObject({ type: 'user-object', owner: 'Jobs', reason: 'collected-without-close' });
    expect(leak!.stack).toContain('resource-tracker.spec');
    expect(tracker.openCounts().get('user-object')).toBe(0);
  });

  it('samples stacks one in N, as strings, and records nothing for types it is not told to track', () => {
    const tracker = new ResourceTracker({ defaultMaxLifetimeMs: 1, stackSampling: 3, types: ['file'] });
    const keep = Array.from({ length: 9 }, () => ({}));
    keep.forEach((o) => tracker.register(o, { type: 'file' }));
    const stacks = tracker.list().map((r) => r.stack);
    expect(stacks.filter((s) => typeof s === 'string')).toHaveLength(3);
    const ignored = tracker.register({}, { type: 'socket' });
    expect(ignored.id).toBe('untracked');
    expect(tracker.list({ type: 'socket' })).toEqual([]);
  });

  it('samples up to N stacks a second for each type, so a rare type keeps its stacks beside a busy one', () => {
    const time = clock();
    const tracker = new ResourceTracker({ defaultMaxLifetimeMs: 1, stackSampling: { perSecond: 10 }, now: time.now });
    const keep: object[] = [];
    const burst = (type: string, n: number) => {
      for (let i = 0; i < n; i++) tracker.register(keep[keep.push({}) - 1]!, { type });
    };
    const stacksOf = (type: string) => tracker.list({ type }).filter((r) => r.stack !== undefined).length;
    burst('busy', 25);
    burst('rare', 2);
    expect([stacksOf('busy'), stacksOf('rare')]).toEqual([10, 2]);
    time.advance(999);
    burst('busy', 5);
    expect(stacksOf('busy')).toBe(10);
    time.advance(1);
    burst('busy', 15);
    expect(stacksOf('busy')).toBe(20);
  });

  it('never reports what is not collectable as collected, and does not hold it', async () => {
    const tracker = new ResourceTracker({ defaultMaxLifetimeMs: 60_000 });
    const gone = new FinalizationRegistry<void>(() => collected++);
    let collected = 0;
    (() => {
      const timerLike = { payload: new Array(100).fill(1) };
      tracker.register(timerLike, { type: 'timer', collectable: false });
      gone.register(timerLike);
    })();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(collected).toBe(1);
    expect(tracker.scan().collectedWithoutClose).toBe(0);
    expect(tracker.list({ type: 'timer' })).toHaveLength(1);
  });

  it('redacts details and keeps a bounded, queryable audit trail', () => {
    const time = clock();
    const tracker = new ResourceTracker({ defaultMaxLifetimeMs: 1, auditTrailSize: 4, now: time.now });
    const objects = [{}, {}, {}];
    const handles = objects.map((o) =>
      tracker.register(o, { type: 'db-connection', owner: 'Api', details: { url: 'postgres://u:hunter2@db/x' } }),
    );
    handles[0]!.annotate({ password: 'hunter2', state: 'busy' });
    expect(JSON.stringify(tracker.list())).not.toContain('hunter2');
    handles[0]!.release();
    time.advance(10);
    tracker.scan();
    const events = tracker.audit.query();
    expect(events).toHaveLength(4);
    expect(events.map((e) => e.kind)).toEqual(['create', 'release', 'leak', 'leak']);
    expect(tracker.audit.query({ kind: 'release' })).toEqual([expect.objectContaining({ id: handles[0]!.id })]);
    const exported = tracker.audit.export({ afterSeq: events[1]!.seq });
    expect(exported.split('\n').map((line) => JSON.parse(line).kind)).toEqual(['leak', 'leak']);
  });

  it('releases through `using`', () => {
    const tracker = new ResourceTracker({ defaultMaxLifetimeMs: 1 });
    const resource = {};
    {
      using handle = tracker.register(resource, { type: 'lock' });
      expect(tracker.list()).toHaveLength(1);
      expect(handle.type).toBe('lock');
    }
    expect(tracker.list()).toHaveLength(0);
  });

  it('keeps each audit event as it was: a later refinement of the record does not rewrite earlier events', () => {
    const tracker = new ResourceTracker({ defaultMaxLifetimeMs: 1_000, stackSampling: 'none' });
    const socket = {};
    const observed = tracker.registerObserved(socket, { type: 'socket' });
    const refined = tracker.register(socket, { type: 'db-connection', owner: 'OrdersRepository' });
    refined.release();
    expect(tracker.audit.query().map(({ kind, id, type, owner }) => ({ kind, id, type, owner }))).toEqual([
      { kind: 'create', id: observed.id, type: 'socket', owner: undefined },
      { kind: 'release', id: observed.id, type: 'db-connection', owner: 'OrdersRepository' },
    ]);
  });
});

import { describe, expect, it } from '@jest/globals';

import { ResourceTracker, type ResourceTrackerConfig } from './resource-tracker.js';

const SCAN_MS = 10_000;

/** A tracker on a virtual clock that has learned `conn` of `Api` lives 1 s (learned limit: 60 s). */
function trained(config: Partial<ResourceTrackerConfig> = {}) {
  let now = 1_000_000;
  const tracker = new ResourceTracker({ stackSampling: 'none', ...config, now: () => now });
  const advance = (ms: number) => (now += ms);
  for (let i = 0; i < 2; i++) {
    const handle = tracker.register({}, { type: 'conn', owner: 'Api' });
    advance(1_000);
    handle.release();
  }
  const kept: object[] = [];
  const open = (owner = 'Api', type = 'conn') => {
    const resource = {};
    kept.push(resource);
    return tracker.register(resource, { type, owner });
  };
  /** Advances one scan interval and scans; returns the ids reported at that scan. */
  const reported: string[] = [];
  tracker.addListener({ onLeak: (leak) => reported.push(leak.id) });
  const scan = () => {
    advance(SCAN_MS);
    const before = reported.length;
    tracker.scan();
    return reported.slice(before);
  };
  return { tracker, open, scan, advance, reported };
}

describe('learned lifetimes with growth', () => {
  it('reports a steady leak once its count past the learned limit reached a new high at 2 scans', () => {
    const { open, scan, tracker } = trained();
    // One leaked per scan: the first crosses the 60 s limit at the 7th scan, one more at each scan after.
    const leaked = [open().id];
    const perScan: string[][] = [];
    for (let i = 0; i < 10; i++) {
      perScan.push(scan());
      leaked.push(open().id);
    }
    // Scan 7 sees 1 over age; scan 8 sees the second new high and reports both.
    expect(perScan.slice(0, 7)).toEqual(Array.from({ length: 7 }, () => []));
    expect(perScan[7]).toEqual(leaked.slice(0, 2));
    expect(perScan[8]).toEqual([leaked[2]]);
    expect(perScan[9]).toEqual([leaked[3]]);
    expect(
      tracker
        .detectLeaks()
        .map((leak) => leak.id)
        .sort(),
    ).toEqual(leaked.slice(0, 4).sort());
  });

  it('does not report a stable resource, nor a batch opened at once, past the learned limit', () => {
    const { open, scan, tracker, reported } = trained();
    open();
    for (let i = 0; i < 3; i++) open('Batch');
    // The batch's owner has no releases of its own: it is judged by what `conn` learned.
    for (let i = 0; i < 60; i++) scan();
    expect(reported).toEqual([]);
    expect(tracker.detectLeaks()).toEqual([]);
    // The query still lists them by age.
    expect(tracker.detectLeaks({ maxLifetimeMs: 60_000 })).toHaveLength(4);
  });

  it('reports the stable resource on age alone when growthScans is 1', () => {
    const { open, scan } = trained({ learn: { growthScans: 1 } });
    const stable = open();
    const reported = Array.from({ length: 10 }, scan).flat();
    expect(reported).toEqual([stable.id]);
  });

  it('still reports a stable resource past the global limit, and past an explicit type limit', () => {
    const { open, scan } = trained({
      defaultMaxLifetimeMs: 5 * 60_000,
      limits: [{ type: 'file', maxLifetimeMs: 90_000 }],
    });
    const conn = open();
    const file = open('Api', 'file');
    const found = new Map<string, number>();
    for (let i = 1; i <= 40; i++) for (const id of scan()) found.set(id, i);
    // The file at its 90 s limit (scan 10); the conn at the global 5 min (scan 31), not at its learned 60 s.
    expect(Object.fromEntries(found)).toEqual({ [file.id]: 10, [conn.id]: 31 });
  });

  it('lets an explicit limit win over the learned rule of a growing group', () => {
    const { open, scan, reported } = trained({ limits: [{ owner: 'Api', type: 'conn', maxLifetimeMs: 3_600_000 }] });
    for (let i = 0; i < 20; i++) {
      open();
      scan();
    }
    expect(reported).toEqual([]);
  });

  it('starts counting again once a group has nothing past its learned limit', () => {
    const { open, scan, reported, tracker } = trained({ learn: { growthScans: 3 } });
    const first = open();
    for (let i = 0; i < 7; i++) scan();
    const second = open();
    for (let i = 0; i < 7; i++) scan();
    // Two highs so far (1, then 2): not yet growing. Declared long-lived (a release would teach a
    // longer lifetime), the group has none over age and is forgotten.
    expect(reported).toEqual([]);
    tracker.declareLongLived(first);
    tracker.declareLongLived(second);
    scan();
    // Three at once: one new high of a fresh group (a remembered high of 2 would make it the third).
    const batch = [open(), open(), open()];
    for (let i = 0; i < 7; i++) scan();
    expect(reported).toEqual([]);
    const fourth = open();
    for (let i = 0; i < 7; i++) scan();
    const fifth = open();
    for (let i = 0; i < 7; i++) scan();
    // 3, then 4, then 5 over age at three different scans: reported with the third new high.
    expect([...reported].sort()).toEqual([...batch.map((h) => h.id), fourth.id, fifth.id].sort());
  });
});

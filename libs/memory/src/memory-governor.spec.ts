import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { BallastOptionsError, MemoryReservationRefusedError, type MemoryConsumer } from '@ballast/core';
import { afterAll, describe, expect, it } from '@jest/globals';

import { detectMemoryBudget, retainableHeapBytes } from './memory-budget.js';
import { MemoryGovernor } from './memory-governor.js';
import { memoryOptions } from './memory.options.js';
import { nextPressureLevel } from './pressure-level.js';

const MB = 1024 * 1024;
const thresholds = { elevated: 0.8, critical: 0.9, hysteresis: 0.05 };

/** A consumer that holds `bytes` and frees what it is asked, recording the order of the asks. */
function consumer(name: string, priority: number, bytes: number, log: string[]) {
  const c = {
    name,
    priority,
    bytes,
    cap: undefined as number | undefined,
    currentBytes: () => c.bytes,
    shrink: (ask: number) => {
      log.push(`${name}:${ask / MB}`);
      const freed = Math.min(ask, c.bytes);
      c.bytes -= freed;
      return freed;
    },
    setGrowthCap: (cap: number | undefined) => {
      c.cap = cap;
    },
  };
  return c satisfies MemoryConsumer;
}

function governorWith(rss: { value: number }) {
  const usage = () => ({ rss: rss.value, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 });
  return new MemoryGovernor({
    budget: { limitBytes: 100 * MB, source: 'option', measure: 'rss', heapLimitBytes: 4096 * MB },
    thresholds,
    retryAfterMs: 2_000,
    read: usage,
  });
}

describe('nextPressureLevel', () => {
  it('rises at a threshold and falls only once usage is the hysteresis below it', () => {
    expect(nextPressureLevel('normal', 0.79, thresholds)).toBe('normal');
    expect(nextPressureLevel('normal', 0.8, thresholds)).toBe('elevated');
    expect(nextPressureLevel('elevated', 0.77, thresholds)).toBe('elevated');
    expect(nextPressureLevel('elevated', 0.75, thresholds)).toBe('normal');
    expect(nextPressureLevel('elevated', 0.9, thresholds)).toBe('critical');
    expect(nextPressureLevel('critical', 0.86, thresholds)).toBe('critical');
    expect(nextPressureLevel('critical', 0.85, thresholds)).toBe('elevated');
    expect(nextPressureLevel('critical', 0.5, thresholds)).toBe('normal');
  });
});

describe('MemoryGovernor', () => {
  it('asks the lowest priority first, only for what is needed to leave elevated, then caps growth', async () => {
    const rss = { value: 50 * MB };
    const governor = governorWith(rss);
    const log: string[] = [];
    const models = consumer('models', 90, 30 * MB, log);
    const results = consumer('results', 10, 5 * MB, log);
    const cache = consumer('cache', 50, 20 * MB, log);
    for (const c of [models, results, cache]) governor.register(c);
    const changes: string[] = [];
    governor.onLevelChange(({ from, to }) => changes.push(`${from}->${to}`));

    expect(governor.sample().level).toBe('normal');
    expect(log).toEqual([]);

    rss.value = 90 * MB; // 90% -> critical; target 75 MB, so 15 MB to free
    governor.sample();
    const round = await governor.shrinkBy(99 * MB); // answers the round the sample started
    expect(changes).toEqual(['normal->critical']);
    expect(log).toEqual(['results:5', 'cache:10']);
    expect(round.neededBytes).toBe(15 * MB);
    expect(round.freedBytes).toBe(15 * MB);
    expect(results.cap).toBe(0);
    expect(models.cap).toBe(30 * MB);
    expect(models.bytes).toBe(30 * MB);

    rss.value = 70 * MB;
    governor.sample();
    expect(changes).toEqual(['normal->critical', 'critical->normal']);
    expect([results.cap, cache.cap, models.cap]).toEqual([undefined, undefined, undefined]);
  });

  it('refuses a reservation that would cross critical with the typed error, and counts held ones as used', () => {
    const rss = { value: 60 * MB };
    const governor = governorWith(rss);
    const reservation = governor.reserve(20 * MB, 'batch');
    expect(governor.sample().usedBytes).toBe(80 * MB);
    expect(() => governor.reserve(15 * MB, 'upload')).toThrow(MemoryReservationRefusedError);
    try {
      governor.reserve(15 * MB, 'upload');
    } catch (error) {
      expect((error as MemoryReservationRefusedError).numbers).toMatchObject({
        owner: 'upload',
        reservedBytes: 20 * MB,
        usedBytes: 60 * MB,
        retryAfterMs: 2_000,
      });
    }
    reservation[Symbol.dispose]();
    reservation.release();
    expect(governor.reservedBytes).toBe(0);
    {
      using second = governor.reserve(25 * MB, 'upload');
      expect(second.bytes).toBe(25 * MB);
      expect(governor.reservedBytes).toBe(25 * MB);
    }
    expect(governor.reservedBytes).toBe(0);
  });

  it('refuses a second consumer of the same name', () => {
    const governor = governorWith({ value: 0 });
    const unregister = governor.register(consumer('a', 1, 0, []));
    expect(() => governor.register(consumer('a', 1, 0, []))).toThrow('A memory consumer named "a"');
    unregister();
    expect(() => governor.register(consumer('a', 1, 0, []))).not.toThrow();
  });
});

describe('detectMemoryBudget', () => {
  const root = mkdtempSync(join(tmpdir(), 'ballast-cgroup-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('takes the option first, then cgroup v2 memory.max, then v1, then the V8 heap limit', () => {
    const v2 = join(root, 'v2');
    const v1 = join(root, 'v1');
    const none = join(root, 'none');
    mkdirSync(v2);
    mkdirSync(join(v1, 'memory'), { recursive: true });
    mkdirSync(none);
    writeFileSync(join(v2, 'memory.max'), '536870912\n');
    writeFileSync(join(v1, 'memory', 'memory.limit_in_bytes'), '268435456\n');

    expect(detectMemoryBudget(300, v2)).toMatchObject({ limitBytes: 300 * MB, source: 'option', measure: 'rss' });
    expect(detectMemoryBudget(undefined, v2)).toMatchObject({ limitBytes: 512 * MB, source: 'cgroup-v2' });
    expect(detectMemoryBudget(undefined, v1)).toMatchObject({ limitBytes: 256 * MB, source: 'cgroup-v1' });
    writeFileSync(join(v2, 'memory.max'), 'max\n');
    const fallback = detectMemoryBudget(undefined, none);
    expect(fallback).toMatchObject({ source: 'v8-heap', measure: 'heap' });
    expect(fallback.limitBytes).toBe(retainableHeapBytes(fallback.heapLimitBytes));
    expect(retainableHeapBytes(112 * MB, ['--max-old-space-size=64'])).toBe(64 * MB);
    expect(retainableHeapBytes(76 * MB, ['--max-semi-space-size=4'])).toBe(64 * MB);
    expect(detectMemoryBudget(undefined, v2).source).toBe('v8-heap'); // "max": no limit
  });
});

describe('memoryOptions', () => {
  it('stops start-up naming the option when elevated is not below critical', () => {
    expect(() => memoryOptions.parse({ elevatedPercent: 90, criticalPercent: 85 })).toThrow(BallastOptionsError);
    expect(() => memoryOptions.parse({ elevatedPercent: 90, criticalPercent: 85 })).toThrow(/elevatedPercent/);
    expect(() => memoryOptions.parse({ sampleIntervalMs: 5 })).toThrow(/sampleIntervalMs/);
  });
});

import { describe, expect, it } from '@jest/globals';

import {
  compareBytes,
  compareLatency,
  compareOps,
  costResult,
  forceGc,
  interleave,
  measureOps,
  median,
  opsResult,
  percentile,
  percentiles,
  rateResult,
  roundTo,
  throughputResult,
} from '../../bench/src/harness.js';
import { parseCli, QUICK_RUN, FULL_RUN, UsageError } from '../../bench/src/harness/cli.js';
import {
  formatMarkdown,
  formatTable,
  machineInfo,
  validateResults,
  type BenchReport,
} from '../../bench/src/harness/report.js';

// Measuring settings that keep these tests short; no figure they produce is asserted.
const TINY = { rounds: 3, warmupMs: 2, timeMs: 3 };

describe('result builders', () => {
  it('take ours / peer for throughput, so more operations per second is a ratio above 1', () => {
    const result = throughputResult({ case: 'get', ours: 3_000_000, peer: 'lru-cache', peerValue: 1_000_000 });
    expect(result).toEqual({
      case: 'get',
      metric: 'ops_per_sec',
      ours: 3_000_000,
      peer: 'lru-cache',
      peerValue: 1_000_000,
      ratio: 3,
    });
    expect(opsResult({ case: 'get', ours: 500, peer: 'p', peerValue: 1000 }).ratio).toBe(0.5);
  });

  it('take peer / ours for a cost, so fewer nanoseconds or bytes is a ratio above 1', () => {
    const cheaper = costResult({ case: 'call', metric: 'ns_per_op', ours: 30, peer: 'opossum', peerValue: 470 });
    expect(cheaper.ratio).toBe(15.7);
    const dearer = costResult({
      case: 'entry',
      metric: 'bytes_per_entry',
      ours: 130,
      peer: 'lru-cache',
      peerValue: 65,
    });
    expect(dearer.ratio).toBe(0.5);
  });

  it('take ours / peer for a rate such as a hit rate', () => {
    const result = rateResult({ case: 'zipf', metric: 'hit_rate', ours: 0.446, peer: 'LRU', peerValue: 0.342 });
    expect(result.metric).toBe('hit_rate');
    expect(result.ratio).toBe(1.3);
  });

  it('keep a note only when one is given', () => {
    expect(opsResult({ case: 'c', ours: 2, peer: 'p', peerValue: 1 })).not.toHaveProperty('note');
    expect(opsResult({ case: 'c', ours: 2, peer: 'p', peerValue: 1, note: 'why' }).note).toBe('why');
  });

  it('refuse figures no ratio can be taken from', () => {
    expect(() => opsResult({ case: 'c', ours: 1, peer: 'p', peerValue: 0 })).toThrow(/peerValue is 0/);
    expect(() => costResult({ case: 'c', metric: 'ns', ours: 0, peer: 'p', peerValue: 5 })).toThrow(/ours is 0/);
    expect(() => opsResult({ case: 'c', ours: Number.NaN, peer: 'p', peerValue: 1 })).toThrow(/ours must be/);
    expect(() => opsResult({ case: 'c', ours: 1, peer: 'p', peerValue: -1 })).toThrow(/peerValue must be/);
  });

  it('round to significant digits without losing whole numbers', () => {
    expect(roundTo(2_123_456.7, 4)).toBe(2_123_457);
    expect(roundTo(0.0123456, 3)).toBe(0.0123);
    expect(roundTo(15.666, 3)).toBe(15.7);
    expect(roundTo(0, 3)).toBe(0);
  });
});

describe('statistics', () => {
  it('median of odd and even counts, without reordering the input', () => {
    const values = [5, 1, 3];
    expect(median(values)).toBe(3);
    expect(values).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });

  it('percentiles interpolate between the closest ranks', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted on purpose
    expect(percentile(samples, 0)).toBe(1);
    expect(percentile(samples, 100)).toBe(100);
    const summary = percentiles(samples);
    expect(summary.p50).toBeCloseTo(50.5, 10);
    expect(summary.p90).toBeCloseTo(90.1, 10);
    expect(summary.p99).toBeCloseTo(99.01, 10);
    expect(summary).toMatchObject({ max: 100, mean: 50.5, count: 100 });
    expect(() => percentile(samples, 101)).toThrow(RangeError);
  });
});

describe('interleave', () => {
  it('rotates who goes first every round, so drift hits every target alike', async () => {
    const order: string[] = [];
    const out = await interleave(['a', 'b'], 4, (name, round) => {
      order.push(name);
      return `${name}${round}`;
    });
    expect(order).toEqual(['a', 'b', 'b', 'a', 'a', 'b', 'b', 'a']);
    expect(out).toEqual({ a: ['a0', 'a1', 'a2', 'a3'], b: ['b0', 'b1', 'b2', 'b3'] });

    const three: string[] = [];
    await interleave(['x', 'y', 'z'], 3, (name) => void three.push(name));
    expect(three).toEqual(['x', 'y', 'z', 'y', 'z', 'x', 'z', 'x', 'y']);
  });

  it('refuses a round count that is not a whole number >= 1', async () => {
    await expect(interleave(['a'], 0, () => 1)).rejects.toThrow(RangeError);
  });
});

describe('compareOps', () => {
  it('measures every target for every round and tells sync from async', async () => {
    const seen = { sync: new Set<number>(), async: 0 };
    const stats = await compareOps(
      {
        sync: (i) => seen.sync.add(i),
        async: async () => ++seen.async,
      },
      TINY,
    );
    for (const name of ['sync', 'async'] as const) {
      expect(stats[name].perRound).toHaveLength(3);
      expect(Number.isFinite(stats[name].opsPerSec)).toBe(true);
      expect(stats[name].opsPerSec).toBeGreaterThan(0);
      expect(stats[name].nsPerOp).toBeCloseTo(1e9 / stats[name].opsPerSec, 6);
      expect(stats[name].opsPerSec).toBe(median(stats[name].perRound));
      expect(stats[name].batch).toBeGreaterThanOrEqual(1);
    }
    expect(stats.sync.async).toBe(false);
    expect(stats.async.async).toBe(true);
    // Batches pass the call index, so a target can vary its keys.
    expect(seen.sync.has(0) && seen.sync.has(1)).toBe(true);
    expect(seen.async).toBeGreaterThan(3);
  });

  it('measureOps measures one function the same way', async () => {
    let calls = 0;
    const stats = await measureOps(() => ++calls, { ...TINY, rounds: 2 });
    expect(stats.perRound).toHaveLength(2);
    expect(calls).toBeGreaterThan(2);
  });

  it('passes a failing target on to the suite', async () => {
    await expect(
      compareOps(
        {
          fine: () => 1,
          broken: () => {
            throw new Error('boom');
          },
        },
        TINY,
      ),
    ).rejects.toThrow('boom');
  });
});

describe('compareLatency', () => {
  it('collects one sample per call, for each round, from concurrent callers', async () => {
    let running = 0;
    let maxRunning = 0;
    const stats = await compareLatency(
      {
        wait: async () => {
          maxRunning = Math.max(maxRunning, ++running);
          await new Promise((resolve) => setImmediate(resolve));
          running--;
        },
      },
      { rounds: 2, calls: 20, warmupCalls: 5, concurrency: 5 },
    );
    expect(stats.wait.count).toBe(40);
    expect(maxRunning).toBe(5);
    expect(stats.wait.p50).toBeLessThanOrEqual(stats.wait.p99);
    expect(stats.wait.p99).toBeLessThanOrEqual(stats.wait.max);
  });
});

describe('memory helpers', () => {
  it('forceGc works without --expose-gc on the command line', () => {
    expect(() => forceGc()).not.toThrow();
  });

  it('charge what a fill keeps alive per entry, Buffers and typed arrays included by default', async () => {
    const fill = (n: number) => Array.from({ length: n }, () => new Float64Array(1_000));
    const stats = await compareBytes({ fill }, 200, { rounds: 3 });
    // 8,000 bytes of doubles per entry plus the typed array object and the array slot.
    expect(stats.fill.bytesPerEntry).toBeGreaterThanOrEqual(8_000);
    expect(stats.fill.bytesPerEntry).toBeLessThan(9_000);
    expect(stats.fill.perRound).toHaveLength(3);

    // The doubles live outside the JS heap: a heap-only reading misses them.
    const heapOnly = await compareBytes({ fill }, 200, { rounds: 3, source: 'heap' });
    expect(heapOnly.fill.bytesPerEntry).toBeLessThan(1_000);
  });

  it('refuse an entry count that is not a whole number >= 1', async () => {
    await expect(compareBytes({ none: () => [] }, 0)).rejects.toThrow(RangeError);
  });
});

describe('command line', () => {
  it('takes a suite and the flags, with full-run defaults', () => {
    expect(parseCli(['pool'])).toEqual({
      kind: 'run',
      suite: 'pool',
      json: false,
      markdown: false,
      options: { quick: false, ...FULL_RUN },
    });
    expect(parseCli(['cache', '--json', '--quick', '--rounds', '7'])).toEqual({
      kind: 'run',
      suite: 'cache',
      json: true,
      markdown: false,
      options: { quick: true, warmupMs: QUICK_RUN.warmupMs, timeMs: QUICK_RUN.timeMs, rounds: 7 },
    });
    expect(parseCli(['--list'])).toEqual({ kind: 'list' });
  });

  it('reports usage mistakes as UsageError', () => {
    expect(() => parseCli([])).toThrow(UsageError);
    expect(() => parseCli(['a', 'b'])).toThrow(UsageError);
    expect(() => parseCli(['core', '--rounds', '0'])).toThrow(/--rounds must be a whole number/);
    expect(() => parseCli(['core', '--rounds', '2.5'])).toThrow(UsageError);
    expect(() => parseCli(['core', '--fast'])).toThrow(UsageError);
  });
});

describe('report', () => {
  const results = [
    opsResult({ case: 'acquire', ours: 2_100_000, peer: 'generic-pool', peerValue: 790_000 }),
    costResult({ case: 'entry', metric: 'bytes_per_entry', ours: 130, peer: 'lru-cache', peerValue: 65, note: 'n' }),
  ];
  const report: BenchReport = {
    suite: 'demo',
    results,
    date: '2026-01-02T03:04:05.000Z',
    machine: machineInfo(),
    options: { quick: false, ...FULL_RUN },
  };

  it('accepts what the builders make and rejects a ratio that fits neither direction', () => {
    expect(() => validateResults('demo', results)).not.toThrow();
    const wrong = [{ ...results[0]!, ratio: 7 }];
    expect(() => validateResults('demo', wrong)).toThrow(/neither ours\/peer nor peer\/ours/);
    expect(() => validateResults('demo', [{ case: 'x', metric: 'm', ours: 1, peerValue: 1, ratio: 1 }])).toThrow(
      /peer must be text/,
    );
    expect(() => validateResults('demo', [{ ...results[0]!, ours: Number.POSITIVE_INFINITY }])).toThrow(/ours/);
    expect(() => validateResults('demo', { results })).toThrow(/array/);
  });

  it('prints the machine above the table and the notes below it', () => {
    const text = formatTable(report, 'what it measures');
    const lines = text.split('\n');
    expect(lines[0]).toBe('Suite demo — what it measures');
    expect(lines[1]).toContain(`${report.machine.cores} cores`);
    expect(lines[1]).toContain(process.version);
    expect(text).toMatch(/acquire\s+ops_per_sec\s+2,100,000\s+generic-pool\s+790,000\s+2\.66x/);
    expect(text).toMatch(/entry\s+bytes_per_entry\s+130\s+lru-cache\s+65\s+0\.5x/);
    expect(text).toContain('[2] entry vs lru-cache: n');
  });

  it('writes a docs section with the command, the date and a ratio chart', () => {
    const text = formatMarkdown(report, 'npm run bench -- demo');
    expect(text).toContain('Command: `npm run bench -- demo`');
    expect(text).toContain('Date: 2026-01-02');
    expect(text).toContain('| 1 | acquire | ops_per_sec | 2,100,000 | generic-pool | 790,000 | 2.66x |');
    expect(text).toContain('bar [2.66, 0.5]');
  });
});

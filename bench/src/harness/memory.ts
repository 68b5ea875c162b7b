import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';

import { median, spread } from './stats.js';

let collect: (() => void) | undefined;

/**
 * A full garbage collection. `npm run bench` starts node with `--expose-gc`; elsewhere (Jest, a
 * plain `node` run) the flag is switched on at run time and V8's `gc` taken from a fresh context.
 */
export function forceGc(): void {
  collect ??= resolveGc();
  collect();
}

function resolveGc(): () => void {
  if (typeof globalThis.gc === 'function') {
    const gc = globalThis.gc;
    return () => void gc();
  }
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/**
 * Which memory a fill is charged with. `heap+external` (the default) also sees Buffers and typed
 * arrays, which live outside the JS heap; `rss` sees native memory too (model runtimes) but
 * moves in whole pages and counts memory the allocator has not returned yet.
 */
export type MemorySource = 'heap' | 'heap+external' | 'rss';

export interface MemoryOptions {
  /** Fills per target; the median is kept. */
  readonly rounds?: number;
  readonly source?: MemorySource;
}

export interface MemoryStats {
  /** Median over rounds of (memory after - memory before) / entries. */
  readonly bytesPerEntry: number;
  readonly perRound: readonly number[];
  /** (max - min) / median of the rounds. */
  readonly spread: number;
}

/**
 * Builds a structure holding `entries` entries and returns it; the harness keeps the returned value
 * alive while it reads memory, so return the thing that holds the entries (the cache, the map).
 */
export type FillFn = (entries: number) => unknown;

const DEFAULT_MEMORY_ROUNDS = 5;

function readMemory(source: MemorySource): number {
  const usage = process.memoryUsage();
  if (source === 'rss') return usage.rss;
  return source === 'heap' ? usage.heapUsed : usage.heapUsed + usage.external;
}

// Written after each reading so the filled structure cannot be collected before it.
const keepAlive: { value: unknown } = { value: undefined };

async function bytesOnce(fill: FillFn, entries: number, source: MemorySource): Promise<number> {
  forceGc();
  forceGc();
  const before = readMemory(source);
  const held: unknown = await fill(entries);
  forceGc();
  forceGc();
  const after = readMemory(source);
  keepAlive.value = held;
  keepAlive.value = undefined;
  return (after - before) / entries;
}

/** Bytes per entry of what `fill` builds, side by side for several targets, rounds interleaved. */
export async function compareBytes<K extends string>(
  targets: Readonly<Record<K, FillFn>>,
  entries: number,
  options: MemoryOptions = {},
): Promise<Record<K, MemoryStats>> {
  if (!Number.isInteger(entries) || entries < 1) throw new RangeError(`entries must be a whole number >= 1`);
  const rounds = options.rounds ?? DEFAULT_MEMORY_ROUNDS;
  const source = options.source ?? 'heap+external';
  const names = Object.keys(targets) as K[];
  const perRound = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length]!;
      perRound[name].push(await bytesOnce(targets[name], entries, source));
    }
  }
  const stats = {} as Record<K, MemoryStats>;
  for (const name of names) {
    stats[name] = { bytesPerEntry: median(perRound[name]), perRound: perRound[name], spread: spread(perRound[name]) };
  }
  return stats;
}

/** Bytes per entry of what `fill` builds: median of `rounds` fills, each after a full GC. */
export async function measureBytes(fill: FillFn, entries: number, options: MemoryOptions = {}): Promise<MemoryStats> {
  return (await compareBytes({ only: fill }, entries, options)).only;
}

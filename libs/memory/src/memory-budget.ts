import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';

const MB = 1024 * 1024;
// cgroup v1 writes "no limit" as a page-rounded 2^63-1; anything this large means unlimited.
const UNLIMITED = 2 ** 60;

/** Where the budget came from: the option, the container's cgroup (v2 or v1), or V8's heap limit. */
export type MemoryBudgetSource = 'option' | 'cgroup-v2' | 'cgroup-v1' | 'v8-heap';

export interface MemoryBudget {
  readonly limitBytes: number;
  readonly source: MemoryBudgetSource;
  /**
   * What usage is measured against it: `rss` for a process limit (the option, the cgroup: what the
   * OOM killer counts), `heap` for V8's limit (what "JavaScript heap out of memory" counts).
   */
  readonly measure: 'rss' | 'heap';
  /** V8's `heap_size_limit`, reported either way: a heap limit above the container's invites an OOM kill. */
  readonly heapLimitBytes: number;
}

function readNumber(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
  if (text === 'max') return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value > 0 && value < UNLIMITED ? value : undefined;
}

/**
 * The cgroup limit of this process: v2 `memory.max` of its own cgroup (from /proc/self/cgroup) or
 * at the root of the mount (inside a container the namespace puts it there), else v1
 * `memory/memory.limit_in_bytes`.
 */
export function cgroupLimit(root: string): { bytes: number; version: 2 | 1 } | undefined {
  let own: string | undefined;
  try {
    own = /^0::(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1]?.trim();
  } catch {
    own = undefined;
  }
  for (const dir of own && own !== '/' ? [join(root, own), root] : [root]) {
    const bytes = readNumber(join(dir, 'memory.max'));
    if (bytes !== undefined) return { bytes, version: 2 };
  }
  const v1 = readNumber(join(root, 'memory', 'memory.limit_in_bytes'));
  return v1 === undefined ? undefined : { bytes: v1, version: 1 };
}

/**
 * What the heap can retain: V8's `heap_size_limit` counts the young generation (three semi-spaces,
 * 16 MB each by default on 64-bit), but only the old generation holds what survives, and "heap out
 * of memory" comes when the old generation is full. So the budget is the limit minus that reserve:
 * 64 MB with `--max-old-space-size=64`, not the 112 MB V8 reports.
 */
export function retainableHeapBytes(heapSizeLimit: number, argv: readonly string[] = process.execArgv): number {
  const flags = [...argv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  let semiSpaceMb = 16;
  for (const flag of flags) {
    const match = /^--max[-_]semi[-_]space[-_]size=(\d+)$/.exec(flag);
    if (match) semiSpaceMb = Number(match[1]);
  }
  return Math.max(heapSizeLimit / 2, heapSizeLimit - 3 * semiSpaceMb * MB);
}

/** The effective budget: the option wins, then the container limit, then V8's heap limit. */
export function detectMemoryBudget(maxMemoryMb: number | undefined, cgroupRoot: string): MemoryBudget {
  const heapLimitBytes = getHeapStatistics().heap_size_limit;
  if (maxMemoryMb !== undefined)
    return { limitBytes: maxMemoryMb * MB, source: 'option', measure: 'rss', heapLimitBytes };
  const cgroup = cgroupLimit(cgroupRoot);
  if (cgroup) {
    return {
      limitBytes: cgroup.bytes,
      source: cgroup.version === 2 ? 'cgroup-v2' : 'cgroup-v1',
      measure: 'rss',
      heapLimitBytes,
    };
  }
  return { limitBytes: retainableHeapBytes(heapLimitBytes), source: 'v8-heap', measure: 'heap', heapLimitBytes };
}

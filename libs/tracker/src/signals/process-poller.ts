import { readdirSync, readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';

/** What the low-frequency poller reads: counts no per-resource signal can see. */
export interface ProcessResourceSample {
  /** `process.getActiveResourcesInfo()` grouped by type (TCPSocketWrap, Timeout, FSReqCallback ...). */
  readonly active: ReadonlyMap<string, number>;
  /** Open file descriptors from /proc/self/fd; undefined where there is no /proc. */
  readonly fds?: number;
  readonly heapUsedBytes: number;
  readonly maxRssKb: number;
}

export function sampleProcessResources(): ProcessResourceSample {
  const active = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) active.set(type, (active.get(type) ?? 0) + 1);
  return {
    active,
    fds: countOpenFds(),
    heapUsedBytes: process.memoryUsage().heapUsed,
    maxRssKb: process.resourceUsage().maxRSS,
  };
}

export function countOpenFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

/** The soft `ulimit -n` of this process, from /proc/self/limits; undefined where unknown. */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    const value = Number(soft);
    return Number.isFinite(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

export function heapLimitBytes(): number {
  return getHeapStatistics().heap_size_limit;
}

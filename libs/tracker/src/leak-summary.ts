import type { ResourceLeak } from '@ballast/core';

/** The leaks of one owner and type, as an operator reads them: "ReportJob leaks 3 file-handles a minute". */
export interface LeakSummary {
  readonly owner?: string;
  readonly type: string;
  readonly count: number;
  /** Leaks per minute over the span from the oldest leaked resource's creation to now. */
  readonly perMinute: number;
  readonly oldestCreatedAt: string;
  readonly oldestAgeMs: number;
  /** The creation stack of the oldest leak that has one. */
  readonly oldestStack?: string;
  readonly reasons: Readonly<Partial<Record<ResourceLeak['reason'], number>>>;
}

/** Groups leaks by owner and type, most leaks first. */
export function summarizeLeaks(leaks: readonly ResourceLeak[]): LeakSummary[] {
  const groups = new Map<string, ResourceLeak[]>();
  for (const leak of leaks) {
    const key = `${leak.owner ?? ''}\u0000${leak.type}`;
    const group = groups.get(key);
    if (group) group.push(leak);
    else groups.set(key, [leak]);
  }
  const out: LeakSummary[] = [];
  for (const group of groups.values()) {
    const oldest = group.reduce((a, b) => (b.ageMs > a.ageMs ? b : a));
    const reasons: Partial<Record<ResourceLeak['reason'], number>> = {};
    for (const leak of group) reasons[leak.reason] = (reasons[leak.reason] ?? 0) + 1;
    const withStack = group.filter((leak) => leak.stack).sort((a, b) => b.ageMs - a.ageMs)[0];
    out.push({
      owner: oldest.owner,
      type: oldest.type,
      count: group.length,
      perMinute: group.length / Math.max(1, oldest.ageMs / 60_000),
      oldestCreatedAt: oldest.createdAt,
      oldestAgeMs: oldest.ageMs,
      oldestStack: withStack?.stack,
      reasons,
    });
  }
  return out.sort((a, b) => b.count - a.count || b.oldestAgeMs - a.oldestAgeMs);
}

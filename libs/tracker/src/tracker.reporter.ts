import { efficiencyScore, type ComponentReport, type Recommendation, type ResourceLeak } from '@ballast/core';

import { creationSite } from './creation-stack.js';
import type { Forecast } from './exhaustion-forecast.js';
import { formatDuration } from './resource-tracker.js';
import { trackerHealth } from './tracker.health.js';

export interface TrackerReportInput {
  readonly open: ReadonlyMap<string, number>;
  readonly leaks: readonly ResourceLeak[];
  readonly forecasts: readonly Forecast[];
  readonly totals: { readonly leaks: number; readonly retractions: number };
  readonly overheadMs: number;
  readonly fds?: number;
}

/**
 * The `resources` report: counts, leaks grouped by owner, type and creation site (one
 * recommendation per group, so a leak repeated a thousand times is one line), and forecasts.
 */
export function trackerReport(input: TrackerReportInput): ComponentReport {
  const open = [...input.open.values()].reduce((a, b) => a + b, 0);
  const metrics: Record<string, number | string | null> = {
    open,
    leaks: input.leaks.length,
    leaksTotal: input.totals.leaks,
    retractionsTotal: input.totals.retractions,
    overheadMs: Math.round(input.overheadMs * 100) / 100,
    openFds: input.fds ?? null,
  };
  for (const [type, count] of input.open) metrics[`open.${type}`] = count;

  const groups = new Map<string, { leak: ResourceLeak; count: number; oldestMs: number }>();
  for (const leak of input.leaks) {
    const site = creationSite(leak.stack) ?? 'unknown site';
    const key = `${leak.owner ?? '?'}|${leak.type}|${leak.reason}|${site}`;
    const group = groups.get(key);
    if (group) {
      group.count += 1;
      group.oldestMs = Math.max(group.oldestMs, leak.ageMs);
    } else groups.set(key, { leak, count: 1, oldestMs: leak.ageMs });
  }
  const recommendations: Recommendation[] = [];
  for (const { leak, count, oldestMs } of groups.values()) {
    const owner = leak.owner ?? 'an unknown owner';
    const site = creationSite(leak.stack);
    const where = site ? ` created at ${site}` : ' (no creation stack sampled: raise stacks.sampling to see where)';
    const message =
      leak.reason === 'collected-without-close'
        ? `${count} ${leak.type} of ${owner}${where} were garbage-collected without being closed: close them (using / await using, or finally)`
        : `${count} ${leak.type} of ${owner}${where} held for up to ${formatDuration(oldestMs)}: close them, or declareLongLived() / raise the owner's limit if they are meant to live that long`;
    recommendations.push({
      severity: leak.reason === 'collected-without-close' || count > 10 ? 'critical' : 'warning',
      message,
      evidence: { count, type: leak.type, owner, reason: leak.reason, oldestMs, ...(site ? { site } : {}) },
    });
  }
  for (const f of input.forecasts) {
    if (!f.alert) continue;
    recommendations.push({
      severity: 'critical',
      message: `${f.type} grows ${f.ratePerSecond.toFixed(2)}/s and would reach its limit ${f.limit} in ${formatDuration(f.exhaustionInMs ?? 0)}: find what opens them (see the leaks above) before it runs out`,
      evidence: { type: f.type, count: f.count, limit: f.limit, ratePerSecond: f.ratePerSecond },
    });
  }
  const alerts = input.forecasts.filter((f) => f.alert);
  return {
    metrics,
    efficiencyScore: efficiencyScore(100 - input.leaks.length * 5 - alerts.length * 25),
    health: trackerHealth(input.leaks, alerts, open),
    recommendations,
  };
}

import type { ReadinessSample, RequestRecord } from './load-generator.js';

export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (value: number | null, digits = 1): number | null =>
  value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits;

/** What a window of requests looked like to the clients. */
export interface TrafficSummary {
  readonly requests: number;
  readonly perSecond: number;
  /** 2xx answers per second (goodput). */
  readonly successPerSecond: number;
  /** Share that got any HTTP answer. */
  readonly answeredPct: number;
  /** Share that got a 2xx. */
  readonly successPct: number;
  /** Admitted = answered with anything but 503. */
  readonly admittedP50Ms: number | null;
  readonly admittedP99Ms: number | null;
  readonly shed: number;
  readonly shedP50Ms: number | null;
  readonly shedP99Ms: number | null;
  /** Answers by status, e.g. { "200": 900, "503": 12 }; "0" counts transport failures. */
  readonly statuses: Record<string, number>;
  /** Transport failures by code (ECONNRESET, UND_ERR_SOCKET, ...). */
  readonly transportErrors: Record<string, number>;
}

export function summarize(records: readonly RequestRecord[], fromMs = 0, toMs = Infinity): TrafficSummary {
  const window = records.filter((r) => r.startMs >= fromMs && r.startMs < toMs);
  const spanMs = Math.max(1, Math.min(toMs, Math.max(0, ...window.map((r) => r.startMs + r.latencyMs))) - fromMs);
  const statuses: Record<string, number> = {};
  const transportErrors: Record<string, number> = {};
  const admitted: number[] = [];
  const shed: number[] = [];
  let answered = 0;
  let success = 0;
  for (const r of window) {
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.status === 0) {
      transportErrors[r.error ?? '?'] = (transportErrors[r.error ?? '?'] ?? 0) + 1;
      continue;
    }
    answered++;
    if (r.status >= 200 && r.status < 300) success++;
    (r.status === 503 ? shed : admitted).push(r.latencyMs);
  }
  const pct = (n: number) => (window.length ? round((100 * n) / window.length, 3)! : 0);
  return {
    requests: window.length,
    perSecond: Math.round((window.length * 1000) / spanMs),
    successPerSecond: Math.round((success * 1000) / spanMs),
    answeredPct: pct(answered),
    successPct: pct(success),
    admittedP50Ms: round(percentile(admitted, 50)),
    admittedP99Ms: round(percentile(admitted, 99)),
    shed: shed.length,
    shedP50Ms: round(percentile(shed, 50)),
    shedP99Ms: round(percentile(shed, 99)),
    statuses,
    transportErrors,
  };
}

/** Readiness answers during a window, counted by what they said: { "200 degraded": 3, "503 error": 20 }. */
export function readinessDuring(samples: readonly ReadinessSample[], fromMs: number, toMs: number) {
  const counts: Record<string, number> = {};
  for (const s of samples) {
    if (s.atMs < fromMs || s.atMs >= toMs) continue;
    const key = `${s.status} ${s.state}${s.down.length ? ` (${s.down.join(',')})` : ''}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Seconds from `fromMs` until the first 2xx of a request (of `kind`, if given) that started after it. */
export function secondsToFirstSuccess(records: readonly RequestRecord[], fromMs: number, kind?: string): number | null {
  let first = Infinity;
  for (const r of records) {
    if (r.startMs < fromMs || r.status < 200 || r.status >= 300 || (kind && r.kind !== kind)) continue;
    first = Math.min(first, r.startMs + r.latencyMs);
  }
  return first === Infinity ? null : round((first - fromMs) / 1000, 2);
}

/** Least-squares slope of y over x (per unit of x). */
export function slope(points: ReadonlyArray<readonly [number, number]>): number | null {
  if (points.length < 3) return null;
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? null : num / den;
}

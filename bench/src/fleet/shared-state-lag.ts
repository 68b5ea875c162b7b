/** Bucket counts of `ballast_circuit_breaker_shared_state_lag_seconds`, cumulative, by upper bound (s). */
export type LagBuckets = ReadonlyMap<number, number>;

const LAG_BUCKET = /^ballast_circuit_breaker_shared_state_lag_seconds_bucket\{le="([^"]+)"\} (\S+)$/gm;

/** One instance's lag histogram from its `/metrics` (empty before any remote message). */
export async function readLagBuckets(url: string): Promise<LagBuckets> {
  const response = await fetch(`${url}/metrics`);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  const buckets = new Map<number, number>();
  for (const [, le, count] of text.matchAll(LAG_BUCKET)) {
    buckets.set(le === '+Inf' ? Infinity : Number(le), Number(count));
  }
  return buckets;
}

/** Reads of every instance after minus before, added up across instances. */
export function lagDelta(before: readonly LagBuckets[], after: readonly LagBuckets[]): LagBuckets {
  const total = new Map<number, number>();
  after.forEach((buckets, i) => {
    for (const [bound, count] of buckets) {
      total.set(bound, (total.get(bound) ?? 0) + count - (before[i]?.get(bound) ?? 0));
    }
  });
  return total;
}

/**
 * The upper bound (ms) of the bucket holding the `p`th percentile: the histogram says the
 * percentile is at most this, not what it is. Null without observations; Infinity above the last bound.
 */
export function percentileUpperBoundMs(buckets: LagBuckets, p: number): number | null {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const count = buckets.get(Infinity) ?? 0;
  if (count === 0) return null;
  const rank = Math.ceil((p / 100) * count);
  const bound = bounds.find((b) => (buckets.get(b) ?? 0) >= rank)!;
  return bound === Infinity ? Infinity : Math.round(bound * 1000 * 10) / 10;
}

/**
 * Seeded access traces for the cache suite: Zipf popularity, with scans, with shifting popularity.
 * Every run replays the same accesses.
 */

/** mulberry32: a small seeded generator. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled(n: number, next: () => number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Zipf(s) over `keyCount` keys; with `shiftEvery`, which key holds which rank is redrawn that often. */
export function zipfTrace(length: number, keyCount: number, s: number, seed: number, shiftEvery = 0): Int32Array {
  const next = random(seed);
  const cdf = new Float64Array(keyCount);
  let sum = 0;
  for (let i = 0; i < keyCount; i++) cdf[i] = sum += 1 / Math.pow(i + 1, s);
  for (let i = 0; i < keyCount; i++) cdf[i]! /= sum;
  let rankToKey = shuffled(keyCount, next);
  const out = new Int32Array(length);
  for (let i = 0; i < length; i++) {
    if (shiftEvery > 0 && i > 0 && i % shiftEvery === 0) rankToKey = shuffled(keyCount, next);
    const u = next();
    let lo = 0;
    let hi = keyCount - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    out[i] = rankToKey[lo]!;
  }
  return out;
}

/** Zipf traffic with one-time sequential scans mixed in: every 10,000 accesses, 2,000 never-seen keys. */
export function scanTrace(length: number, keyCount: number, seed: number): Int32Array {
  const base = zipfTrace(length, keyCount, 0.9, seed);
  const out = new Int32Array(length);
  let fresh = keyCount;
  let b = 0;
  for (let i = 0; i < length;) {
    if (i > 0 && i % 10_000 === 0) for (let j = 0; j < 2_000 && i < length; j++) out[i++] = fresh++;
    if (i < length) out[i++] = base[b++]!;
  }
  return out;
}

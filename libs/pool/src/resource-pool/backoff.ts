/**
 * Capped exponential backoff with "equal jitter": half the step is fixed, half random. The fixed
 * half guarantees a pause (never a tight loop), the random half spreads the instances of a fleet
 * that all lost the same server at the same moment.
 */
export function jitteredBackoff(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const step = Math.min(maxMs, initialMs * 2 ** exponent);
  return step / 2 + random() * (step / 2);
}

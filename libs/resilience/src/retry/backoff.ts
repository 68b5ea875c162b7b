import type { RetryConfig } from './retry.options.js';

/**
 * The delay before retry number `retry` (1 = the first retry). `previous` is the delay used before
 * the previous retry, which decorrelated jitter grows from.
 */
export function backoffDelay(config: RetryConfig, retry: number, previous: number): number {
  const { initialDelayMs: base, maxDelayMs: cap } = config;
  const random = config.random ?? Math.random;
  let delay: number;
  switch (config.backoff) {
    case 'fixed':
      delay = base;
      break;
    case 'linear':
      delay = base + (config.incrementMs ?? base) * (retry - 1);
      break;
    case 'exponential':
      delay = base * config.multiplier ** (retry - 1);
      break;
    case 'decorrelated-jitter': {
      // "Exponential backoff and jitter" (AWS architecture blog): sleep = min(cap, random(base, sleep * 3)).
      const upper = Math.max(base, previous * 3);
      return Math.round(Math.min(cap, base + random() * (upper - base)));
    }
  }
  if (config.jitter > 0) delay *= 1 - config.jitter + 2 * config.jitter * random();
  return Math.round(Math.min(cap, Math.max(0, delay)));
}

import { describe, expect, it } from '@jest/globals';

import { assessPool } from './pool.health.js';
import { fakeStats } from './testing/index.js';

const thresholds = { degradedUtilisation: 0.9, persistentWaitersMs: 1_000 };

describe('assessPool', () => {
  it('is healthy with headroom and shows the numbers', () => {
    expect(assessPool(fakeStats({ used: 5, max: 10, size: 6, idle: 1 }), thresholds)).toEqual({
      status: 'healthy',
      details: { size: 6, max: 10, used: 5, idle: 1, pending: 0, utilisation: 0.5 },
    });
  });

  it('is degraded, not down, above the utilisation threshold', () => {
    const result = assessPool(fakeStats({ used: 19, max: 20 }), thresholds);
    expect(result).toMatchObject({ status: 'degraded', reason: 'utilisation 95% (19/20 in use)' });
  });

  it('is degraded when callers have waited without a break past the threshold, not for a brief queue', () => {
    expect(assessPool(fakeStats({ used: 5, max: 10, pending: 3, waitingForMs: 200 }), thresholds).status).toBe(
      'healthy',
    );
    expect(assessPool(fakeStats({ used: 5, max: 10, pending: 3, waitingForMs: 1_500 }), thresholds)).toMatchObject({
      status: 'degraded',
      reason: '3 caller(s) waiting for 1500 ms without a break',
    });
  });

  it('is unhealthy once the pool is draining or closed', () => {
    expect(assessPool(fakeStats({ state: 'draining' }), thresholds)).toMatchObject({
      status: 'unhealthy',
      reason: 'pool is draining',
    });
  });
});

import { describe, expect, it } from '@jest/globals';
import { httpMeaningOf } from '@ballast/core';

import {
  PoolClosedError,
  PoolCreateError,
  PoolExhaustedError,
  PoolQueueFullError,
  PoolUnavailableError,
  QueryTimeoutError,
  type PoolErrorNumbers,
} from './pool.errors.js';

const numbers: PoolErrorNumbers = {
  pool: 'main',
  kind: 'database',
  size: 0,
  max: 10,
  used: 0,
  idle: 0,
  pending: 0,
  creating: 0,
};

describe('pool errors over HTTP', () => {
  it('declares 503 with the pool as the dependency and a Retry-After for every refusal', () => {
    expect(httpMeaningOf(new PoolExhaustedError('no resource within 1000 ms', numbers))).toEqual({
      status: 503,
      code: 'pool_exhausted',
      dependency: 'database:main',
      retryAfterMs: 1_000,
    });
    expect(httpMeaningOf(new PoolQueueFullError(200, numbers))).toMatchObject({ status: 503, code: 'pool_queue_full' });
    expect(httpMeaningOf(new PoolClosedError('draining', numbers))).toMatchObject({ status: 503, code: 'pool_closed' });
    expect(httpMeaningOf(new PoolCreateError('connect timeout', numbers))).toMatchObject({
      status: 503,
      code: 'pool_unavailable',
      retryAfterMs: 1_000,
    });
  });

  it("takes Retry-After from the pool's backoff during an outage", () => {
    const outage = { ...numbers, retryAfterMs: 1_700, lastCreateError: 'connect ECONNREFUSED 127.0.0.1:5432' };
    expect(httpMeaningOf(new PoolUnavailableError(3, outage))).toEqual({
      status: 503,
      code: 'pool_unavailable',
      dependency: 'database:main',
      retryAfterMs: 1_700,
    });
    // Never less than a second for a refusal under load, even mid-outage.
    expect(httpMeaningOf(new PoolExhaustedError('x', { ...outage, retryAfterMs: 300 }))!.retryAfterMs).toBe(1_000);
  });

  it('declares a query past its budget as 504', () => {
    expect(httpMeaningOf(new QueryTimeoutError(5_000, 'main'))).toEqual({
      status: 504,
      code: 'query_timeout',
      dependency: 'database:main',
    });
  });
});

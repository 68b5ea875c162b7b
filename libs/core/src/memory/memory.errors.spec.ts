import { describe, expect, it } from '@jest/globals';

import { BallastError } from '../errors/ballast.error.js';
import { resolveHttpMeaning, retryAfterSeconds } from '../errors/ballast-exception.filter.js';
import { MemoryReservationRefusedError } from './memory.errors.js';

const MB = 1024 * 1024;

describe('MemoryReservationRefusedError', () => {
  const error = new MemoryReservationRefusedError({
    owner: 'upload',
    requestedBytes: 64 * MB,
    usedBytes: 400 * MB,
    reservedBytes: 20 * MB,
    criticalBytes: 460.8 * MB,
    limitBytes: 512 * MB,
    retryAfterMs: 1_500,
  });

  it('says who asked for how much and how full the process was', () => {
    expect(error).toBeInstanceOf(BallastError);
    expect(error.name).toBe('MemoryReservationRefusedError');
    expect(error.message).toBe(
      'Memory reservation of 64.0 MB for "upload" refused: used 400.0 MB + reserved 20.0 MB would pass ' +
        'the critical threshold 460.8 MB (limit 512.0 MB)',
    );
    expect(error.details).toMatchObject({ owner: 'upload', requestedBytes: 64 * MB, limitBytes: 512 * MB });
  });

  it('means 503 with a Retry-After to an HTTP caller, also when wrapped', () => {
    const meaning = resolveHttpMeaning(new Error('batch failed', { cause: error }));
    expect(meaning).toEqual({
      status: 503,
      code: 'memory_reservation_refused',
      dependency: 'memory',
      retryAfterMs: 1_500,
    });
    expect(retryAfterSeconds(meaning?.retryAfterMs)).toBe(2);
  });
});

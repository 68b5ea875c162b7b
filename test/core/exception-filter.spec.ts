import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BallastExceptionFilter, HTTP_MEANING, type HttpMeaning } from '@ballast/core';
import { BreakerOpenError, BulkheadRejectedError, TimeoutError } from '@ballast/resilience';
import { Controller, Get, NotFoundException, Param, type INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';

/** An error of the app's own that declares the contract, wrapped the way TypeORM wraps driver errors. */
class QuotaError extends Error {
  [HTTP_MEANING](): HttpMeaning {
    return { status: 503, code: 'quota', dependency: 'partner:quota', retryAfterMs: 2_500 };
  }
}

const thrown: Record<string, () => unknown> = {
  breaker: () => BreakerOpenError.create('upstream', undefined, 'open', 4_200),
  halfOpen: () => BreakerOpenError.create('upstream', undefined, 'half-open', 0),
  bulkhead: () =>
    BulkheadRejectedError.create({
      bulkhead: 'reports',
      reason: 'queue-full',
      maxConcurrent: 2,
      maxQueue: 0,
      active: 2,
      queued: 0,
      queueTimeoutMs: 0,
    }),
  timeout: () => TimeoutError.create(1_000, 'quote'),
  platformTimeout: () => new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
  wrapped: () =>
    Object.assign(new Error('query failed: password=hunter2'), { driverError: new QuotaError('postgres://u:pw@db') }),
  connectionLost: () =>
    Object.assign(new Error('write ECONNRESET'), {
      name: 'QueryFailedError',
      driverError: Object.assign(new Error('write ECONNRESET'), { code: 'ECONNRESET' }),
    }),
  unknown: () => new Error('connect postgres://app:secret@db:5432 failed'),
  notFound: () => new NotFoundException('no such ticket'),
};

@Controller('fail')
class FailController {
  @Get(':kind')
  fail(@Param('kind') kind: string): never {
    throw thrown[kind]!();
  }
}

describe.each(['express', 'fastify'] as const)('BallastExceptionFilter on %s', (adapter) => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ controllers: [FailController] }).compile();
    app =
      adapter === 'fastify'
        ? moduleRef.createNestApplication(new FastifyAdapter(), { logger: false })
        : moduleRef.createNestApplication({ logger: false });
    app.useGlobalFilters(new BallastExceptionFilter(app.getHttpAdapter()));
    await app.init();
    if (adapter === 'fastify') await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app.close();
  });

  const get = (kind: string) => request(app.getHttpServer()).get(`/fail/${kind}`);

  it('answers an open breaker 503 with Retry-After from its remaining open time', async () => {
    const res = await get('breaker').expect(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'breaker_open',
      dependency: 'breaker:upstream',
      retryAfterSeconds: 5,
    });
    expect((await get('halfOpen').expect(503)).headers['retry-after']).toBe('1');
  });

  it('answers a full bulkhead 503 and a timeout 504', async () => {
    const bulkhead = await get('bulkhead').expect(503);
    expect(bulkhead.body).toMatchObject({ code: 'bulkhead_full', dependency: 'bulkhead:reports' });
    expect(bulkhead.headers['retry-after']).toBe('1');
    const timeout = await get('timeout').expect(504);
    expect(timeout.body).toEqual({
      statusCode: 504,
      error: 'Gateway Timeout',
      code: 'timeout',
      dependency: 'timeout:quote',
    });
    expect(timeout.headers['retry-after']).toBeUndefined();
    expect((await get('platformTimeout').expect(504)).body).toMatchObject({ code: 'timeout' });
  });

  it('finds the meaning of a wrapped error and never shows its message', async () => {
    const res = await get('wrapped').expect(503);
    expect(res.headers['retry-after']).toBe('3');
    expect(res.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'quota',
      dependency: 'partner:quota',
      retryAfterSeconds: 3,
    });
    expect(res.text).not.toMatch(/hunter2|pw@|postgres/);
  });

  it('answers a query whose connection dropped under it (ECONNRESET in its driverError) 503, not 500', async () => {
    const res = await get('connectionLost').expect(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body).toMatchObject({ statusCode: 503, code: 'connection_lost', dependency: 'connection' });
  });

  it('leaves unknown errors to Nest (500) and HttpExceptions as they are', async () => {
    const unknown = await get('unknown').expect(500);
    expect(unknown.body).toEqual({ statusCode: 500, message: 'Internal server error' });
    expect(unknown.text).not.toContain('secret');
    const notFound = await get('notFound').expect(404);
    expect(notFound.body).toMatchObject({ statusCode: 404, message: 'no such ticket' });
  });
});

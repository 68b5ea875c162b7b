import { describe, expect, it } from '@jest/globals';
import { HealthIndicatorService } from '@nestjs/terminus';

import { coreOptions } from '../core.options.js';
import { BallastHealthIndicator } from './ballast-health.indicator.js';
import { degraded, healthy, unhealthy, worstHealth } from './health.status.js';

const indicator = new BallastHealthIndicator(
  new HealthIndicatorService(),
  coreOptions.parse({ health: { checkTimeoutMs: 50 } }),
);

describe('BallastHealthIndicator', () => {
  it('maps healthy to up with the details and response time', async () => {
    const result = await indicator.check('db', () => healthy({ idle: 3 }));
    expect(result.db).toMatchObject({ status: 'up', idle: 3 });
    expect(typeof result.db.responseTimeMs).toBe('number');
  });

  it('reports a detail under a key Terminus reserves as <key>Detail instead of failing the check', async () => {
    const result = await indicator.check('upstream', () =>
      healthy({ status: 204, responseTime: 12, cachedResponse: true }),
    );
    expect(result.upstream).toMatchObject({
      status: 'up',
      statusDetail: 204,
      responseTimeDetail: 12,
      cachedResponseDetail: true,
    });
  });

  it('maps degraded to degraded with its reason', async () => {
    const result = await indicator.check('pool', () => degraded('utilisation 95%', { waiting: 4 }));
    expect(result.pool).toMatchObject({ status: 'degraded', reason: 'utilisation 95%', waiting: 4 });
  });

  it('maps unhealthy and a throw to down, redacting what it reports', async () => {
    expect((await indicator.check('a', () => unhealthy('gone'))).a.status).toBe('down');
    const thrown = await indicator.check('b', async () => {
      throw new Error('connect redis://:pw@host failed');
    });
    expect(thrown.b.status).toBe('down');
    expect(String(thrown.b.message)).not.toContain(':pw@');
  });

  it('is down at the timeout and aborts the probe', async () => {
    let aborted = false;
    const result = await indicator.check('slow', (signal) => {
      signal.addEventListener('abort', () => (aborted = true));
      return new Promise(() => undefined);
    });
    expect(result.slow).toMatchObject({ status: 'down', message: 'no answer within 50 ms' });
    expect(aborted).toBe(true);
  });

  it('lets a check override the timeout', async () => {
    const result = await indicator.check('slow', () => new Promise(() => undefined), { timeoutMs: 5 });
    expect(result.slow.message).toBe('no answer within 5 ms');
  });
});

describe('worstHealth', () => {
  it('picks the worst status', () => {
    expect(worstHealth([])).toBe('healthy');
    expect(worstHealth(['healthy', 'degraded'])).toBe('degraded');
    expect(worstHealth(['degraded', 'unhealthy', 'healthy'])).toBe('unhealthy');
  });
});

describe('BallastHealthIndicator for a check that is not critical', () => {
  it('reports unhealthy, a throw and a timeout as degraded, saying it is not critical', async () => {
    const unhealthyResult = await indicator.check('redis:cache', () => unhealthy('gone'), { critical: false });
    expect(unhealthyResult['redis:cache']).toMatchObject({ status: 'degraded', reason: 'gone', critical: false });
    const thrown = await indicator.check(
      'x',
      () => {
        throw new Error('boom');
      },
      { critical: false },
    );
    expect(thrown.x).toMatchObject({ status: 'degraded', message: 'boom', critical: false });
    const slow = await indicator.check('y', () => new Promise(() => undefined), { critical: false, timeoutMs: 5 });
    expect(slow.y).toMatchObject({ status: 'degraded', message: 'no answer within 5 ms', critical: false });
  });

  it('leaves healthy and degraded as they are', async () => {
    expect((await indicator.check('a', () => healthy(), { critical: false })).a.status).toBe('up');
    expect((await indicator.check('b', () => degraded('slow'), { critical: false })).b).not.toHaveProperty('critical');
  });
});

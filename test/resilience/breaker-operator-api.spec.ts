import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { BallastCoreModule, HealthContributorRegistry, type BallastCoreModuleOptions } from '@ballast/core';
import { BreakerOpenError, BreakerRegistry, ResilienceModule, type ResilienceModuleOptions } from '@ballast/resilience';
import { Injectable, Logger, type CanActivate, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';

import { PrivateRedis } from '../support/private-redis.js';

const TOKEN = 'an-admin-token-for-breaker-tests';
const AUTH = `Bearer ${TOKEN}`;
const BREAKER: ResilienceModuleOptions['breaker'] = {
  minimumCalls: 2,
  windowType: 'count',
  windowSize: 2,
  failureRateThreshold: 50,
  openDurationMs: 60_000,
};

@Injectable()
class HeaderGuard implements CanActivate {
  canActivate(context: Parameters<CanActivate['canActivate']>[0]): boolean {
    return context.switchToHttp().getRequest().headers['x-ops'] === 'yes';
  }
}

async function start(
  performanceApi: BallastCoreModuleOptions['performanceApi'],
  resilience: ResilienceModuleOptions = { breaker: BREAKER },
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      BallastCoreModule.forRoot({ performanceApi, metrics: { defaultMetrics: false } }),
      ResilienceModule.forRoot(resilience),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

/** What readiness reads: both Redis connections of shared state are up. */
async function sharedStateConnected(app: INestApplication): Promise<boolean> {
  const results = await Promise.all(
    app
      .get(HealthContributorRegistry)
      .checks('readiness')
      .map((check) => check()),
  );
  return results.some((result) => result['resilience:breakers']?.['sharedStateConnected'] === true);
}

const fail = () => Promise.reject(new Error('upstream down'));

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  return untilAsync(async () => condition(), timeoutMs);
}

async function untilAsync(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('breaker operator API: access', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('answers 404 on every breaker route while the performance API is off', async () => {
    app = await start({ enabled: false, adminToken: TOKEN });
    app.get(BreakerRegistry).get('payments');
    await request(app.getHttpServer()).get('/api/performance/breakers').set('Authorization', AUTH).expect(404);
    await request(app.getHttpServer())
      .put('/api/performance/breakers/payments/state')
      .set('Authorization', AUTH)
      .send({ state: 'forced-open' })
      .expect(404);
    expect(app.get(BreakerRegistry).get('payments').state).toBe('closed');
  });

  it('answers 404 when the app runs the resilience module without core (no performance API)', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ResilienceModule.forRoot({ breaker: BREAKER })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    app.get(BreakerRegistry).get('payments');
    await request(app.getHttpServer()).get('/api/performance/breakers').expect(404);
    await request(app.getHttpServer())
      .put('/api/performance/breakers/payments/state')
      .send({ state: 'forced-open' })
      .expect(404);
    expect(app.get(BreakerRegistry).get('payments').state).toBe('closed');
  });

  it('answers 401 without the admin token, or with a wrong one, and leaves the breaker alone', async () => {
    app = await start({ enabled: true, adminToken: TOKEN });
    const payments = app.get(BreakerRegistry).get('payments');
    await request(app.getHttpServer()).get('/api/performance/breakers').expect(401);
    await request(app.getHttpServer())
      .put('/api/performance/breakers/payments/state')
      .send({ state: 'forced-open' })
      .expect(401);
    await request(app.getHttpServer())
      .put('/api/performance/breakers/payments/state')
      .set('Authorization', 'Bearer not-the-admin-token-at-all')
      .send({ state: 'forced-open' })
      .expect(401);
    expect(payments.state).toBe('closed');
    const listed = await request(app.getHttpServer())
      .get('/api/performance/breakers')
      .set('Authorization', AUTH)
      .expect(200);
    expect(listed.body.breakers.map((b: { name: string }) => b.name)).toEqual(['payments']);
  });

  it('lets anyone read an open API but refuses to change a breaker with 403 naming the token and the guard', async () => {
    app = await start({ enabled: true });
    const payments = app.get(BreakerRegistry).get('payments');
    const listed = await request(app.getHttpServer()).get('/api/performance/breakers').expect(200);
    expect(listed.body.breakers).toEqual([
      expect.objectContaining({ name: 'payments', state: 'closed', operator_state: null, shared_state: false }),
    ]);
    await request(app.getHttpServer()).get('/api/performance/breakers/payments').expect(200);
    const refused = await request(app.getHttpServer())
      .put('/api/performance/breakers/payments/state')
      .send({ state: 'forced-open' })
      .expect(403);
    expect(refused.body.message).toMatch(/performanceApi\.adminToken \(BALLAST_ADMIN_TOKEN\) or performanceApi\.guard/);
    expect(payments.state).toBe('closed');
  });

  it("lets the app's own guard decide instead of the token", async () => {
    app = await start({ enabled: true, guard: HeaderGuard });
    const payments = app.get(BreakerRegistry).get('payments');
    await request(app.getHttpServer())
      .put('/api/performance/breakers/payments/state')
      .send({ state: 'forced-open' })
      .expect(403);
    expect(payments.state).toBe('closed');
    await request(app.getHttpServer())
      .put('/api/performance/breakers/payments/state')
      .set('x-ops', 'yes')
      .send({ state: 'forced-open' })
      .expect(200);
    expect(payments.state).toBe('forced-open');
  });
});

describe('breaker operator API: states', () => {
  let app: INestApplication;
  let registry: BreakerRegistry;

  beforeAll(async () => {
    app = await start({ enabled: true, adminToken: TOKEN });
    registry = app.get(BreakerRegistry);
  });

  afterAll(async () => {
    await app?.close();
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  const put = (name: string, body: unknown) =>
    request(app.getHttpServer())
      .put(`/api/performance/breakers/${encodeURIComponent(name)}/state`)
      .set('Authorization', AUTH)
      .send(body as object);

  it('forced-open rejects every call without calling it, and logs one warn line without the token', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const breaker = registry.get('forced');
    const answer = await put('forced', { state: 'forced-open' }).expect(200);
    expect(answer.body).toMatchObject({
      name: 'forced',
      state: 'forced-open',
      operator_state: 'forced-open',
      previous_state: 'closed',
    });
    const fn = jest.fn(async () => 'served');
    const error = await breaker.execute(fn).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BreakerOpenError);
    expect((error as BreakerOpenError).details.state).toBe('forced-open');
    expect(fn).not.toHaveBeenCalled();

    const lines = warn.mock.calls.map(([message]) => String(message)).filter((m) => m.includes('"forced"'));
    expect(lines).toEqual([expect.stringMatching(/"forced".*closed -> forced-open/)]);
    expect(lines.join()).not.toContain(TOKEN);

    // Setting the state it already has changes nothing and logs nothing more.
    await put('forced', { state: 'forced-open' }).expect(200);
    expect(warn.mock.calls.filter(([message]) => String(message).includes('"forced"'))).toHaveLength(1);
    const read = await request(app.getHttpServer())
      .get('/api/performance/breakers/forced')
      .set('Authorization', AUTH)
      .expect(200);
    expect(read.body).toMatchObject({ state: 'forced-open', operator_state: 'forced-open' });
  });

  it('disabled lets every call through and never opens, however many fail', async () => {
    const breaker = registry.get('disabled');
    await put('disabled', { state: 'disabled' }).expect(200);
    const fn = jest.fn(fail);
    for (let i = 0; i < 10; i++) await expect(breaker.execute(fn)).rejects.toThrow('upstream down');
    expect(fn).toHaveBeenCalledTimes(10);
    expect(breaker.state).toBe('disabled');
    await expect(breaker.execute(async () => 'served')).resolves.toBe('served');
  });

  it('metrics-only records the failures but never opens', async () => {
    const breaker = registry.get('measured');
    await put('measured', { state: 'metrics-only' }).expect(200);
    for (let i = 0; i < 4; i++) await expect(breaker.execute(fail)).rejects.toThrow('upstream down');
    await expect(breaker.execute(async () => 'served')).resolves.toBe('served');
    const read = await request(app.getHttpServer())
      .get('/api/performance/breakers/measured')
      .set('Authorization', AUTH)
      .expect(200);
    expect(read.body).toMatchObject({ state: 'metrics-only', operator_state: 'metrics-only', buffered_calls: 2 });
    expect(read.body.failure_rate).toBe(50);
  });

  it('closed ends an operator state and an automatic open, and the breaker decides on its own again', async () => {
    const breaker = registry.get('restored');
    await put('restored', { state: 'forced-open' }).expect(200);
    const answer = await put('restored', { state: 'closed' }).expect(200);
    expect(answer.body).toMatchObject({ state: 'closed', operator_state: null, previous_state: 'forced-open' });
    await expect(breaker.execute(async () => 'served')).resolves.toBe('served');
    // Normal operation: with the success above, one failure is 50% of a full window and opens it.
    await expect(breaker.execute(fail)).rejects.toThrow('upstream down');
    expect(breaker.state).toBe('open');
    await expect(breaker.execute(async () => 'refused')).rejects.toBeInstanceOf(BreakerOpenError);
    await put('restored', { state: 'closed' }).expect(200);
    expect(breaker.state).toBe('closed');
    await expect(breaker.execute(async () => 'served again')).resolves.toBe('served again');
  });

  it('answers 404 with a reason for an unknown name and for a keyed group, and creates nothing', async () => {
    const unknown = await put('nowhere', { state: 'forced-open' }).expect(404);
    expect(unknown.body.message).toMatch(/No circuit breaker named "nowhere" on this instance/);
    await request(app.getHttpServer()).get('/api/performance/breakers/nowhere').set('Authorization', AUTH).expect(404);
    expect(registry.find('nowhere')).toBeUndefined();

    registry.keyed('tenants').get('acme');
    const keyed = await put('tenants', { state: 'forced-open' }).expect(404);
    expect(keyed.body.message).toMatch(/"tenants" is a keyed breaker group: .*named breakers only/);
    expect(registry.keyed('tenants').get('acme').state).toBe('closed');
    const listed = await request(app.getHttpServer())
      .get('/api/performance/breakers')
      .set('Authorization', AUTH)
      .expect(200);
    expect(listed.body.keyed_groups).toEqual([{ name: 'tenants', keys: 1, not_closed: 0 }]);
  });

  it.each([
    ['an unknown state', { state: 'open' }],
    ['a Resilience4j constant', { state: 'FORCED_OPEN' }],
    ['no state', {}],
    ['an extra field', { state: 'forced-open', durationMs: 60_000 }],
  ])('answers 400 naming the allowed values for %s, and leaves the breaker alone', async (_case, body) => {
    const breaker = registry.get('validated');
    const answer = await put('validated', body).expect(400);
    expect(answer.body.message).toContain('"forced-open", "disabled", "metrics-only", "closed"');
    expect(breaker.state).toBe('closed');
  });
});

describe('breaker operator API: shared state through Redis, two instances', () => {
  let redis: PrivateRedis;
  let a: INestApplication;
  let b: INestApplication;

  const options = (instanceId: string): ResilienceModuleOptions => ({
    breaker: BREAKER,
    sharedState: { enabled: true, redisUrl: redis.url, instanceId },
  });

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    a = await start({ enabled: true, adminToken: TOKEN }, options('operator-a'));
    b = await start({ enabled: true, adminToken: TOKEN }, options('operator-b'));
    await untilAsync(async () => (await sharedStateConnected(a)) && (await sharedStateConnected(b)), 5_000);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.kill();
  });

  it('a state set on one instance reaches the other, and closed set on the other ends it on both', async () => {
    const onA = a.get(BreakerRegistry).get('ledger');
    const onB = b.get(BreakerRegistry).get('ledger');
    await request(a.getHttpServer())
      .put('/api/performance/breakers/ledger/state')
      .set('Authorization', AUTH)
      .send({ state: 'forced-open' })
      .expect(200);
    await until(() => onB.state === 'forced-open', 1_000);
    expect(onA.state).toBe('forced-open');
    const read = await request(b.getHttpServer())
      .get('/api/performance/breakers/ledger')
      .set('Authorization', AUTH)
      .expect(200);
    expect(read.body).toMatchObject({ state: 'forced-open', operator_state: 'forced-open', shared_state: true });
    await expect(onB.execute(async () => 'b')).rejects.toBeInstanceOf(BreakerOpenError);

    await request(b.getHttpServer())
      .put('/api/performance/breakers/ledger/state')
      .set('Authorization', AUTH)
      .send({ state: 'closed' })
      .expect(200);
    expect(onB.state).toBe('closed');
    await until(() => onA.state === 'closed', 1_000);
    await expect(onA.execute(async () => 'a')).resolves.toBe('a');
  });
});

import { afterEach, describe, expect, it } from '@jest/globals';
import { BallastOptionsError, optionsFromEnv } from '@ballast/core';
import {
  BreakerOpenError,
  BreakerRegistry,
  CircuitBreaker,
  DeadLetter,
  DeadLetterService,
  Fallback,
  ResilienceEvents,
  ResilienceHealthIndicator,
  ResilienceModule,
  ResilienceRuntime,
  Retry,
  resilienceOptions,
  type BreakerStateEvent,
} from '@ballast/resilience';
import { Injectable, type INestApplication } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Cron, SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import request from 'supertest';

import { startApp } from './resilience-test.app.js';

const networkError = () => Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' });

@Injectable()
class NightlyJobs {
  runs = 0;

  @Cron('0 0 3 1 1 *', { name: 'nightly-sync' })
  @Retry({ retryOn: [Error], initialDelayMs: 1, jitter: 0 })
  async sync(): Promise<string> {
    this.runs++;
    if (this.runs === 1) throw new Error('first run fails');
    return 'synced';
  }
}

/** Not a provider: created with `new`, as a library or a script would. */
class PriceClient {
  attempts = 0;

  @Fallback((error: unknown, sku: string) => ({ sku, price: null, reason: (error as Error).name }))
  @DeadLetter({ queue: 'prices', record: (sku: string) => ({ sku }) })
  @CircuitBreaker({ name: 'prices', minimumCalls: 2, windowSize: 2 })
  @Retry({ maxAttempts: 2, initialDelayMs: 1, jitter: 0 })
  async price(_sku: string): Promise<{ sku: string; price: number | null }> {
    this.attempts++;
    throw networkError();
  }
}

describe('ResilienceModule', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('stops start-up with a message naming the module, the option, the value and what is allowed', async () => {
    const attempt = (options: Parameters<typeof ResilienceModule.forRoot>[0]) =>
      Test.createTestingModule({ imports: [ResilienceModule.forRoot(options)] })
        .compile()
        .then((ref) => ref.close())
        .then(
          () => 'started',
          (error: unknown) => error,
        );
    const bad = await attempt({ breaker: { failureRateThreshold: 0 } });
    expect(bad).toBeInstanceOf(BallastOptionsError);
    expect((bad as Error).message).toMatch(
      /ResilienceModule.*breaker\.failureRateThreshold \(env RESILIENCE_BREAKER_FAILURE_RATE_THRESHOLD\) = 0: .*>0/s,
    );
    const crossed = await attempt({ breaker: { halfOpenTrials: 2, halfOpenSuccesses: 3 } });
    expect((crossed as Error).message).toContain(
      'breaker.halfOpenSuccesses (env RESILIENCE_BREAKER_HALF_OPEN_SUCCESSES) = 3: must not exceed halfOpenTrials (2)',
    );
    const missing = await attempt({ deadLetter: { store: 'postgres' } });
    expect((missing as Error).message).toContain('deadLetter.postgres.url');
    const secret = await attempt({ deadLetter: { store: 'redis', redis: { url: 'http://user:hunter2@x' } } });
    expect((secret as Error).message).toContain(
      'deadLetter.redis.url (env RESILIENCE_DEAD_LETTER_REDIS_URL) = [redacted]',
    );
    expect((secret as Error).message).not.toContain('hunter2');
  });

  it('runs without BallastCoreModule (no metrics, health or report to feed)', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ResilienceModule.forRoot({ isGlobal: false })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const breaker = app.get(BreakerRegistry).get('alone');
    await expect(breaker.execute(async () => 'fine')).resolves.toBe('fine');
    await expect(app.get(ResilienceHealthIndicator).isHealthy()).rejects.toThrow(/BallastCoreModule/);
  });

  it('takes defaults and profiles from the environment through forRootAsync', async () => {
    const env: Record<string, string> = {
      RESILIENCE_BREAKER_FAILURE_RATE_THRESHOLD: '25',
      RESILIENCE_BREAKER_WINDOW_TYPE: 'time',
      RESILIENCE_RETRY_MAX_ATTEMPTS: '5',
      RESILIENCE_PROFILES: JSON.stringify({
        payments: { breaker: { openDurationMs: 120000 }, retry: { maxAttempts: 2 } },
      }),
    };
    const moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => env] }),
        ResilienceModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService) =>
            optionsFromEnv(resilienceOptions, config, { breaker: { minimumCalls: 7 } }),
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const runtime = app.get(ResilienceRuntime);
    expect(runtime.breaker('inventory').config).toMatchObject({
      failureRateThreshold: 25,
      windowType: 'time',
      minimumCalls: 7,
      openDurationMs: 30_000,
    });
    expect(runtime.breaker('payments').config).toMatchObject({ failureRateThreshold: 25, openDurationMs: 120_000 });
    expect(runtime.retry('inventory').config.maxAttempts).toBe(5);
    expect(runtime.retry('payments').config.maxAttempts).toBe(2);
    expect(runtime.breaker('checkout', { profile: 'payments', openDurationMs: 5_000 }).config.openDurationMs).toBe(
      5_000,
    );
    expect(() => runtime.breaker('x', { profile: 'nope' })).toThrow(/profile "nope".*profiles: payments/);
  });

  it('runs @Cron jobs and classes Nest did not create on the module runtime', async () => {
    app = await startApp({}, { providers: [NightlyJobs] });
    const runtime = app.get(ResilienceRuntime);
    await app.get(SchedulerRegistry).getCronJob('nightly-sync').fireOnTick();
    // fireOnTick does not wait for the job: wait for the retry to finish.
    const jobs = app.get(NightlyJobs);
    for (let i = 0; i < 100 && jobs.runs < 2; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(jobs.runs).toBe(2);
    expect(runtime.retries.get('NightlyJobs.sync')?.stats).toMatchObject({ calls: 1, successWithRetry: 1 });

    const client = new PriceClient();
    expect(await client.price('sku-1')).toEqual({ sku: 'sku-1', price: null, reason: 'Error' });
    expect(client.attempts).toBe(2);
    expect(runtime.breakers.find('prices')?.state).toBe('open');
    expect(await client.price('sku-2')).toEqual({ sku: 'sku-2', price: null, reason: 'BreakerOpenError' });
    expect(client.attempts).toBe(2);
    const letters = await app.get(DeadLetterService).queue('prices').list();
    expect(letters.map((l) => [l.record, l.error.name, l.meta.source])).toEqual([
      [{ sku: 'sku-1' }, 'Error', 'PriceClient.price'],
      [{ sku: 'sku-2' }, 'BreakerOpenError', 'PriceClient.price'],
    ]);
  });

  it('raises events and exports metrics on the app registry', async () => {
    app = await startApp({ breaker: { minimumCalls: 2, windowSize: 2, failureRateThreshold: 100 } });
    const runtime = app.get(ResilienceRuntime);
    const transitions: BreakerStateEvent[] = [];
    app.get(ResilienceEvents).on('breaker.state', (event) => transitions.push(event));
    const payments = app.get(BreakerRegistry).get('payments');
    await payments.execute(async () => 'ok');
    await payments.execute(() => Promise.reject(networkError())).catch(() => undefined);
    await payments.execute(() => Promise.reject(networkError())).catch(() => undefined);
    await expect(payments.execute(async () => 'ok')).rejects.toBeInstanceOf(BreakerOpenError);
    expect(transitions).toEqual([
      expect.objectContaining({ breaker: 'payments', from: 'closed', to: 'open', reason: 'failure-rate' }),
    ]);
    const retry = runtime.retry('quotes', { initialDelayMs: 1, jitter: 0 });
    await retry.execute(() => Promise.reject(networkError())).catch(() => undefined);
    const bulkhead = runtime.bulkhead('db', { maxConcurrent: 1, maxQueue: 0 });
    let release!: () => void;
    const held = bulkhead.execute(() => new Promise<void>((resolve) => (release = resolve)));
    await bulkhead.execute(async () => undefined).catch(() => undefined);
    release();
    await held;
    await app.get(DeadLetterService).send('orders', { id: 1, token: 'secret-token' }, new Error('boom'));

    const text = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
    expect(text).toContain('ballast_circuit_breaker_state{breaker="payments",state="open"} 1');
    expect(text).toContain('ballast_circuit_breaker_state{breaker="payments",state="closed"} 0');
    expect(text).toContain('ballast_circuit_breaker_calls_total{breaker="payments",outcome="success"} 1');
    expect(text).toContain('ballast_circuit_breaker_calls_total{breaker="payments",outcome="failure"} 2');
    expect(text).toContain('ballast_circuit_breaker_calls_total{breaker="payments",outcome="short_circuited"} 1');
    expect(text).toContain('ballast_circuit_breaker_transitions_total{breaker="payments",to="open"} 1');
    expect(text).toMatch(/ballast_circuit_breaker_call_duration_seconds_count\{breaker="payments"\} 3/);
    expect(text).toMatch(/ballast_circuit_breaker_call_duration_seconds_bucket\{le="\+Inf",breaker="payments"\} 3/);
    expect(text).toContain('ballast_retry_calls_total{retry="quotes",outcome="failed_with_retry"} 1');
    expect(text).toContain('ballast_retry_attempts_total{retry="quotes"} 2');
    expect(text).toContain('ballast_bulkhead_calls_total{bulkhead="db",outcome="rejected_queue_full"} 1');
    expect(text).toContain('ballast_bulkhead_max_concurrent{bulkhead="db"} 1');
    expect(text).toContain('ballast_dead_letters_total{queue="orders"} 1');
    const [letter] = await app.get(DeadLetterService).queue('orders').list();
    expect(letter?.record).toEqual({ id: 1, token: '[REDACTED]' });
  });

  it('makes readiness degraded for an open breaker, down when the breaker says so', async () => {
    app = await startApp({});
    const server = app.getHttpServer();
    const registry = app.get(BreakerRegistry);
    expect((await request(server).get('/health/ready').expect(200)).body.status).toBe('ok');
    registry.get('search').forceOpen();
    const degraded = await request(server).get('/health/ready').expect(200);
    expect(degraded.body.status).toBe('degraded');
    expect(degraded.body.details['resilience:breakers'].reason).toMatch(/search open/);
    registry.get('payments', { healthImpact: 'down' }).forceOpen();
    const down = await request(server).get('/health/ready').expect(503);
    expect(down.body.error['resilience:breakers'].reason).toMatch(/payments open/);
    registry.get('payments').reset();
    registry.get('search').reset();
    registry.get('audit', { healthImpact: 'none' }).forceOpen();
    expect((await request(server).get('/health/ready').expect(200)).body.status).toBe('ok');
    const indicator = await app.get(ResilienceHealthIndicator).isHealthy('breakers');
    expect(indicator.breakers.status).toBe('up');
  });

  it('reports flapping breakers, exhausted retries and a rejecting bulkhead with what to change', async () => {
    app = await startApp({ breaker: { openDurationMs: 10_000 } });
    const runtime = app.get(ResilienceRuntime);
    const flappy = runtime.breaker('flappy');
    for (let i = 0; i < 3; i++) {
      flappy.forceOpen();
      flappy.reset();
    }
    const retry = runtime.retry('ledger', { maxAttempts: 3, initialDelayMs: 0, jitter: 0 });
    for (let i = 0; i < 20; i++) await retry.execute(() => Promise.reject(networkError())).catch(() => undefined);
    const bulkhead = runtime.bulkhead('exports', { maxConcurrent: 1, maxQueue: 0 });
    let release!: () => void;
    const held = bulkhead.execute(() => new Promise<void>((resolve) => (release = resolve)));
    for (let i = 0; i < 25; i++) await bulkhead.execute(async () => undefined).catch(() => undefined);
    release();
    await held;

    const res = await request(app.getHttpServer()).get('/api/performance/report').expect(200);
    const [section] = res.body.sections.breakers;
    expect(section.name).toBe('resilience');
    const messages: string[] = section.recommendations.map((r: { message: string }) => r.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /breaker flappy opened 3 times in 10 min \(flapping\): raise openDurationMs from 10000 to 20000/,
        ),
        expect.stringMatching(/retries of ledger give up in 100% of calls.*lower maxAttempts from 3 to 2/),
        expect.stringMatching(
          /bulkhead exports rejected 96(\.\d)?% of calls with a full queue.*raise maxConcurrent from 1 to 2/,
        ),
      ]),
    );
    expect(section.efficiency_score).toBeLessThan(100);
    expect(section.metrics).toMatchObject({ breakers: 1, retryExhausted: 20, bulkheadRejections: 25 });
  });
});

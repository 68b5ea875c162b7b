import { describe, expect, it } from '@jest/globals';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

import { ratesBetween, readMetricTotals, type MetricTotals } from './metric-totals.js';

const zero: MetricTotals = {
  atMs: 0,
  poolAcquires: 0,
  poolTimeouts: 0,
  poolCreateErrors: 0,
  cacheHits: 0,
  cacheMisses: 0,
  breakerCalls: 0,
  breakerRejections: 0,
  breakerFailures: 0,
  modelLoads: 0,
  modelLoadFailures: 0,
  leaks: 0,
  deadLetters: 0,
  neuralBytes: 0,
  rssBytes: 0,
};

describe('metric totals and rates', () => {
  it('reads the families modules export by name, summing their series', async () => {
    const registry = new Registry();
    const wait = new Histogram({
      name: 'db_client_connection_wait_time_seconds',
      help: 'h',
      labelNames: ['db_client_connection_pool_name'],
      registers: [registry],
    });
    for (let i = 0; i < 3; i++) wait.observe({ db_client_connection_pool_name: 'main' }, 0.01);
    wait.observe({ db_client_connection_pool_name: 'other' }, 0.5);
    new Counter({ name: 'db_client_connection_timeouts_total', help: 'h', registers: [registry] }).inc(1);
    const errors = new Counter({
      name: 'ballast_pool_errors_total',
      help: 'h',
      labelNames: ['kind'],
      registers: [registry],
    });
    errors.inc({ kind: 'create' }, 2);
    errors.inc({ kind: 'validate' }, 5);
    const requests = new Counter({
      name: 'ballast_cache_requests_total',
      help: 'h',
      labelNames: ['result'],
      registers: [registry],
    });
    requests.inc({ result: 'hit' }, 6);
    requests.inc({ result: 'stale' }, 1);
    requests.inc({ result: 'miss' }, 3);
    const calls = new Counter({
      name: 'ballast_circuit_breaker_calls_total',
      help: 'h',
      labelNames: ['outcome'],
      registers: [registry],
    });
    calls.inc({ outcome: 'success' }, 10);
    calls.inc({ outcome: 'failure' }, 4);
    calls.inc({ outcome: 'short_circuited' }, 7);
    new Gauge({ name: 'ballast_neural_bytes', help: 'h', labelNames: ['state'], registers: [registry] }).set(
      { state: 'charged' },
      4096,
    );

    const totals = await readMetricTotals(registry, 1_000);
    expect(totals).toMatchObject({
      atMs: 1_000,
      poolAcquires: 4,
      poolTimeouts: 1,
      poolCreateErrors: 2,
      cacheHits: 7,
      cacheMisses: 3,
      breakerCalls: 14,
      breakerFailures: 4,
      breakerRejections: 7,
      modelLoads: 0, // not registered: no neural module
      neuralBytes: 4096,
    });
    expect(totals.rssBytes).toBeGreaterThan(0);
  });

  it('turns two reads into rates per second and ratios, null where nothing happened', () => {
    const after = {
      ...zero,
      atMs: 10_000,
      poolAcquires: 90,
      poolTimeouts: 10,
      cacheHits: 30,
      cacheMisses: 10,
      breakerCalls: 50,
      breakerRejections: 5,
      modelLoads: 2,
      leaks: 3,
      neuralBytes: 100,
      rssBytes: 7,
    };
    const rates = ratesBetween(zero, after);
    expect(rates).toMatchObject({
      interval_s: 10,
      pool_acquires_per_s: 9,
      pool_success_rate: 0.9,
      pool_timeouts: 10,
      cache_hit_rate: 0.75,
      cache_lookups_per_s: 4,
      breaker_calls_per_s: 5,
      breaker_rejections: 5,
      model_loads_per_s: 0.2,
      leaks: 3,
      neural_bytes: 100,
      rss_bytes: 7,
    });
    expect(ratesBetween(zero, { ...zero, atMs: 1_000 })).toMatchObject({
      pool_success_rate: null,
      cache_hit_rate: null,
    });
  });

  it('never reports a negative rate when a counter went down (its pool or cache closed)', () => {
    const rates = ratesBetween({ ...zero, poolAcquires: 50 }, { ...zero, atMs: 1_000, poolAcquires: 20 });
    expect(rates.pool_acquires_per_s).toBe(0);
  });
});

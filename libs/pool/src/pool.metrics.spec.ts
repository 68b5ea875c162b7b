import { describe, expect, it } from '@jest/globals';
import { Gauge, Registry } from 'prom-client';

import { PoolMetrics } from './pool.metrics.js';
import { ResourcePool } from './resource-pool/resource-pool.js';
import { fakeStats } from './testing/index.js';

const labels = 'db_client_connection_pool_name="main",ballast_pool_kind="database"';

describe('PoolMetrics', () => {
  it('exports the OpenTelemetry pool families from the pools numbers at scrape time', async () => {
    const registry = new Registry();
    const metrics = PoolMetrics.for(registry);
    metrics.attachPool({
      name: 'main',
      kind: 'database',
      stats: () =>
        fakeStats({
          size: 4,
          used: 3,
          idle: 1,
          pending: 2,
          min: 1,
          max: 10,
          timeouts: 5,
          leaks: 1,
          exhausted: 6,
          waits: [0, 0, 3],
          uses: [20],
        }),
    });
    const text = await registry.metrics();
    expect(text).toContain(`db_client_connection_count{${labels},state="idle"} 1`);
    expect(text).toContain(`db_client_connection_count{${labels},state="used"} 3`);
    expect(text).toContain(`db_client_connection_pending_requests{${labels}} 2`);
    expect(text).toContain(`db_client_connection_idle_min{${labels}} 1`);
    expect(text).toContain(`db_client_connection_max{${labels}} 10`);
    expect(text).toContain(`db_client_connection_timeouts_total{${labels}} 5`);
    expect(text).toContain(`ballast_pool_exhausted_total{${labels}} 6`);
    expect(text).toContain(`ballast_pool_leaks_total{${labels}} 1`);
    expect(text).toContain(`ballast_pool_errors_total{${labels},kind="create"} 0`);
    // Cumulative buckets in seconds: two waits of 0 in the first bucket, the 3 ms one by 0.005 s.
    expect(text).toContain(`db_client_connection_wait_time_seconds_bucket{${labels},le="0.00001"} 2`);
    expect(text).toContain(`db_client_connection_wait_time_seconds_bucket{${labels},le="0.005"} 3`);
    expect(text).toContain(`db_client_connection_wait_time_seconds_bucket{${labels},le="+Inf"} 3`);
    expect(text).toContain(`db_client_connection_wait_time_seconds_sum{${labels}} 0.003`);
    expect(text).toContain(`db_client_connection_use_time_seconds_count{${labels}} 1`);
    expect(text).toContain('# TYPE db_client_connection_use_time_seconds histogram');
    expect(text).toContain('# TYPE db_client_connection_timeouts_total counter');
  });

  it('is registered once per registry: a second module instance reuses it', () => {
    const registry = new Registry();
    expect(PoolMetrics.for(registry)).toBe(PoolMetrics.for(registry));
  });

  it('refuses a registry where the name belongs to someone else', () => {
    const registry = new Registry();
    new Gauge({ name: 'db_client_connection_count', help: 'theirs', registers: [registry] });
    expect(() => PoolMetrics.for(registry)).toThrow(/already registered by something else/);
  });

  it('stops exporting a pool once detached, and reads live pools', async () => {
    const registry = new Registry();
    const metrics = PoolMetrics.for(registry);
    const pool = new ResourcePool({
      name: 'live',
      max: 2,
      factory: { create: async () => ({}), destroy: () => undefined },
    });
    const detach = metrics.attachPool(pool);
    const lease = await pool.acquire();
    await new Promise((resolve) => setTimeout(resolve, 60)); // past the per-scrape cache
    expect(await registry.metrics()).toContain(
      'db_client_connection_count{db_client_connection_pool_name="live",ballast_pool_kind="generic",state="used"} 1',
    );
    lease.release();
    detach();
    expect(await registry.metrics()).not.toContain('pool_name="live"');
    await pool.close(0);
  });

  it('formats counters for OpenMetrics registries too', async () => {
    // The typings omit the constructor argument prom-client takes for the exposition format.
    const OpenMetricsRegistry = Registry as unknown as new (contentType: string) => Registry;
    const registry = new OpenMetricsRegistry(Registry.OPENMETRICS_CONTENT_TYPE);
    PoolMetrics.for(registry).attachPool({ name: 'main', kind: 'database', stats: () => fakeStats({ timeouts: 2 }) });
    const text = await registry.metrics();
    expect(text).toContain(`db_client_connection_timeouts_total{${labels}} 2`);
    expect(text).not.toContain('_total_total');
  });
});

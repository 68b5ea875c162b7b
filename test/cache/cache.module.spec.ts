import { afterEach, describe, expect, it } from '@jest/globals';
import {
  BallastCoreModule,
  HealthContributorRegistry,
  optionsFromEnv,
  RESOURCE_REGISTRY,
  type EnvSource,
  type ResourceInfo,
  type ResourceRegistry,
} from '@ballast/core';
import {
  AsyncTTLCache,
  CacheModule,
  CacheRegistry,
  cacheOptions,
  InjectCache,
  type CacheModuleOptions,
} from '@ballast/cache';
import { expectNoNewHandles, snapshotHandles } from '@ballast/core/testing';
import { Inject, Injectable, Module, type INestApplication } from '@nestjs/common';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import request from 'supertest';

@Injectable()
class TicketStatsService {
  constructor(
    @InjectCache('tickets') readonly tickets: AsyncTTLCache<number>,
    @Inject(AsyncTTLCache) readonly fallback: AsyncTTLCache<string>,
  ) {}
}

@Module({ providers: [TicketStatsService] })
class TicketsModule {}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('CacheModule', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function start(
    cache: ReturnType<typeof CacheModule.forRoot>,
    extra: unknown[] = [],
  ): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ScheduleModule.forRoot(),
        BallastCoreModule.forRoot({ performanceApi: { enabled: true } }),
        cache,
        ...(extra as never[]),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return app;
  }

  it('creates named caches with their own settings and injects them by name', async () => {
    const target = await start(
      CacheModule.forRoot({
        ttlMs: 60_000,
        caches: { tickets: { ttlMs: 5_000, maxEntries: 500, policy: 'lru' }, latest: { maxEntries: 1 } },
      }),
      [TicketsModule],
    );
    const service = target.get(TicketStatsService);
    // A one-entry cache starts without a numShards of its own: the default shard count is capped.
    expect(target.get(CacheRegistry).get('latest').settings).toMatchObject({ maxEntries: 1, numShards: 1 });
    expect(service.tickets.name).toBe('tickets');
    expect(service.tickets.settings).toMatchObject({ ttlMs: 5_000, maxEntries: 500, policy: 'lru' });
    expect(service.fallback.name).toBe('default');
    expect(service.fallback.settings).toMatchObject({ ttlMs: 60_000, maxEntries: 100_000, policy: 's3-fifo' });
    expect(
      target
        .get(CacheRegistry)
        .list()
        .map((c) => c.name),
    ).toEqual(['default', 'tickets', 'latest']);
  });

  it('reads its options from the environment through forRootAsync', async () => {
    const env: Record<string, string> = {
      ASYNC_CACHE_TTL: '1500',
      ASYNC_CACHE_MAX_ENTRIES: '2000',
      ASYNC_CACHE_MAX_BYTES: '1048576',
      ASYNC_CACHE_NUM_SHARDS: '4',
      ASYNC_CACHE_CLEANUP_INTERVAL: '10000',
    };
    const source: EnvSource = { get: (name) => env[name] };
    const target = await start(
      CacheModule.forRootAsync({
        cacheNames: ['tickets'],
        useFactory: () =>
          optionsFromEnv(cacheOptions, source, { caches: { tickets: { ttlMs: 250 } } } as CacheModuleOptions),
      }),
      [TicketsModule],
    );
    const service = target.get(TicketStatsService);
    expect(service.fallback.settings).toMatchObject({
      ttlMs: 1_500,
      maxEntries: 2_000,
      maxBytes: 1_048_576,
      numShards: 4,
    });
    expect(service.tickets.settings).toMatchObject({ ttlMs: 250, maxEntries: 2_000, numShards: 4 });
    expect(target.get(CacheRegistry).cleanupIntervalOf('tickets')).toBe(10_000);
  });

  it('stops start-up on a bad option, naming module, option, env variable, value and what is allowed', async () => {
    const env: Record<string, string> = { ASYNC_CACHE_MAX_ENTRIES: 'lots', ASYNC_CACHE_POLICY: 'random' };
    const attempt = start(
      CacheModule.forRootAsync({ useFactory: () => cacheOptions.fromEnv({ get: (name) => env[name] }) }),
    );
    await expect(attempt).rejects.toThrow(/CacheModule: invalid options/);
    await expect(attempt).rejects.toThrow(/maxEntries \(env ASYNC_CACHE_MAX_ENTRIES\) = "lots"/);
    await expect(attempt).rejects.toThrow(/policy \(env ASYNC_CACHE_POLICY\) = "random": .*"s3-fifo"\|"lru"/);
  });

  it('exports counters at scrape time, registers health checks and reports with recommendations', async () => {
    const target = await start(CacheModule.forRoot({ caches: { tiny: { maxEntries: 10, numShards: 1, ttlMs: 0 } } }));
    const tiny = target.get(CacheRegistry).get<number>('tiny');
    for (let i = 0; i < 300; i++) {
      await tiny.set(`k${i}`, i);
      tiny.peek(`k${i - 50}`);
    }
    await tiny.get('k299');

    const stats = tiny.stats();
    expect(stats.hits + stats.misses).toBe(301);
    expect(stats.evictions.capacity).toBe(290);
    const metrics = await request(target.getHttpServer()).get('/metrics').expect(200);
    expect(metrics.text).toContain(`ballast_cache_requests_total{cache="tiny",result="hit"} ${stats.hits}`);
    expect(metrics.text).toContain(`ballast_cache_requests_total{cache="tiny",result="miss"} ${stats.misses}`);
    expect(metrics.text).toContain('ballast_cache_evictions_total{cache="tiny",reason="capacity"} 290');
    expect(metrics.text).toContain('ballast_cache_entries{cache="tiny"} 10');
    expect(metrics.text).toContain('ballast_cache_requests_total{cache="default",result="hit"} 0');
    expect(metrics.text).toMatch(/ballast_cache_bytes\{cache="tiny"\} \d+/);

    const health = target.get(HealthContributorRegistry);
    expect(health.list('readiness').map((c) => c.name)).toEqual(['cache:default', 'cache:tiny']);
    expect(
      await health
        .list()
        .find((c) => c.name === 'cache:tiny')!
        .probe(new AbortController().signal),
    ).toMatchObject({
      status: 'healthy',
      details: { entries: 10, l2: 'none' },
    });

    const caches = await request(target.getHttpServer()).get('/api/performance/cache/metrics').expect(200);
    const view = caches.body.caches.find((c: { name: string }) => c.name === 'tiny');
    expect(view.metrics).toMatchObject({ entries: 10, evictions: 290, sets: 300 });
    // hit rate < 1% (60%), 97% of writes evict (20%), few held entries read (20%): a score near 0.
    expect(view.efficiency_score).toBeLessThanOrEqual(5);
    const recs = await request(target.getHttpServer()).get('/api/performance/cache/recommendations').expect(200);
    expect(recs.body.recommendations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          component: 'tiny',
          severity: 'warning',
          setting: { name: 'maxEntries', current: 10, suggested: 20 },
        }),
      ]),
    );
  });

  it('purges 10,000 expired entries within two purge intervals, through SchedulerRegistry', async () => {
    const intervalMs = 400;
    const target = await start(
      CacheModule.forRoot({ caches: { purge: { cleanupIntervalMs: intervalMs, numShards: 4, ttlMs: 100 } } }),
    );
    expect(target.get(SchedulerRegistry).getIntervals()).toEqual(
      expect.arrayContaining(['ballast-cache-purge:default', 'ballast-cache-purge:purge']),
    );
    const cache = target.get(CacheRegistry).get<number>('purge');
    for (let i = 0; i < 10_000; i++) await cache.set(`k${i}`, i);
    const expiredAt = Date.now() + 100;
    expect(cache.size).toBe(10_000);
    // Nothing reads the keys: only the background purge can free them.
    await sleep(expiredAt + 2 * intervalMs - Date.now());
    expect(cache.size).toBe(0);
    expect(cache.stats().expirations).toBe(10_000);
  });

  it('registers its purge timers with the resource registry and releases them on close', async () => {
    const records: { info: ResourceInfo; released: boolean }[] = [];
    const recorder: ResourceRegistry = {
      tracking: true,
      register: (_resource, info) => {
        const record = { info, released: false };
        records.push(record);
        return { id: String(records.length), release: () => void (record.released = true), annotate: () => undefined };
      },
      detectLeaks: () => [],
    };
    const moduleRef = await Test.createTestingModule({
      imports: [
        ScheduleModule.forRoot(),
        BallastCoreModule.forRoot({}),
        CacheModule.forRoot({ caches: { tickets: {} } }),
      ],
    })
      .overrideProvider(RESOURCE_REGISTRY)
      .useValue(recorder)
      .compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    expect(records.map((r) => [r.info.type, r.info.owner, r.info.details?.job])).toEqual([
      ['timer', 'CacheModule', 'ballast-cache-purge:default'],
      ['timer', 'CacheModule', 'ballast-cache-purge:tickets'],
    ]);
    expect(records.every((r) => !r.released)).toBe(true);
    await app.close();
    app = undefined;
    expect(records.every((r) => r.released)).toBe(true);
  });

  it('leaves nothing open after close', async () => {
    const before = snapshotHandles();
    const target = await start(CacheModule.forRoot({ caches: { tickets: {} } }), [TicketsModule]);
    const cache = target.get(TicketStatsService).tickets;
    await cache.set('a', 1);
    await cache.wrap('b', async () => 2);
    await target.close();
    app = undefined;
    await expectNoNewHandles(before);
  });
});

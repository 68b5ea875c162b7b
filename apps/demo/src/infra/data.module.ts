import { cacheOptions, CacheModule } from '@ballast/cache';
import { optionsFromEnv } from '@ballast/core';
import { PoolModule, poolOptions } from '@ballast/pool';
import { ResilienceModule, resilienceOptions } from '@ballast/resilience';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import { demoOptions } from '../config/demo.options.js';
import type { EmbeddedDatabase } from '../database/embedded-database.js';
import { Ticket } from '../tickets/ticket.entity.js';
import { EMBEDDED_DATABASE, FAKE_UPSTREAM } from './demo-infra.constants.js';
import { DemoInfraModule } from './demo-infra.module.js';
import type { FakeUpstream } from './fake-upstream.js';

/** Pools (database, HTTP, optional Redis), caches and resilience, on real servers or the embedded stand-ins. */
@Module({
  imports: [
    DemoInfraModule,
    PoolModule.forRootAsync({
      imports: [DemoInfraModule],
      inject: [ConfigService, EMBEDDED_DATABASE, FAKE_UPSTREAM],
      useFactory: (config: ConfigService, embedded: EmbeddedDatabase | null, upstream: FakeUpstream | null) => {
        const demo = demoOptions.parse(demoOptions.fromEnv(config));
        return optionsFromEnv(poolOptions, config, {
          databases: {
            main: {
              url: embedded?.url ?? demo.databaseUrl,
              typeorm: { entities: [Ticket], synchronize: true },
              // PGlite is one in-process session: keep its pool within its socket server's limit.
              ...(embedded ? { maxSize: demo.embeddedPoolMaxSize, queryTimeoutMs: 0 } : {}),
            },
          },
          http: { upstream: { origin: upstream?.url ?? demo.upstreamUrl } },
          ...(demo.redisUrl ? { redis: { cache: { url: demo.redisUrl } } } : {}),
        });
      },
      dataSources: ['main'],
    }),
    CacheModule.forRootAsync({
      inject: [ConfigService],
      cacheNames: ['ticket-stats'],
      useFactory: (config: ConfigService) => {
        const demo = demoOptions.parse(demoOptions.fromEnv(config));
        return optionsFromEnv(cacheOptions, config, {
          caches: { 'ticket-stats': { ttlMs: 5_000, staleWhileRevalidateMs: 30_000, maxEntries: 1_000 } },
          ...(demo.redisUrl ? { l2: { enabled: true, url: demo.redisUrl } } : {}),
        });
      },
    }),
    ResilienceModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => {
        const demo = demoOptions.parse(demoOptions.fromEnv(config));
        return optionsFromEnv(resilienceOptions, config, {
          profiles: {
            upstream: {
              breaker: { windowSize: 20, minimumCalls: 5, openDurationMs: 10_000 },
              retry: { maxAttempts: 3, initialDelayMs: 50 },
              timeout: { timeoutMs: 1_000 },
            },
          },
          ...(demo.redisUrl ? { sharedState: { enabled: true, redisUrl: demo.redisUrl } } : {}),
        });
      },
    }),
  ],
})
export class DataModule {}

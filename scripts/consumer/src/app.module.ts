import { BallastCoreModule } from '@ballast/core';
import { CacheModule } from '@ballast/cache';
import { NeuralModule } from '@ballast/neural';
import { PoolModule } from '@ballast/pool';
import { ResilienceModule } from '@ballast/resilience';
import { ResourceTrackerModule } from '@ballast/tracker';
import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';

import { HealthController } from './health.controller.js';
import { DoublingLoader } from './doubling.loader.js';
import { ProbesController, QuoteService } from './probes.controller.js';

const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';

// What a user writes from the guides: every module with forRoot(), defaults where they suffice.
@Module({
  imports: [
    TerminusModule.forRoot(),
    BallastCoreModule.forRoot({ performanceApi: { enabled: true } }),
    ResourceTrackerModule.forRoot(),
    PoolModule.forRoot({ databases: { main: { url: databaseUrl } }, redis: { main: { url: redisUrl } } }),
    CacheModule.forRoot(),
    NeuralModule.forRoot({ loader: new DoublingLoader() }),
    ResilienceModule.forRoot(),
  ],
  controllers: [HealthController, ProbesController],
  providers: [QuoteService],
})
export class AppModule {}

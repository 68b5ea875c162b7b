import { PoolRegistry } from '@ballast/pool';
import { Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ModuleRef } from '@nestjs/core';

import { demoOptions } from '../config/demo.options.js';
import { EmbeddedDatabase } from '../database/embedded-database.js';
import { EMBEDDED_DATABASE, FAKE_UPSTREAM } from './demo-infra.constants.js';
import { FakeUpstream } from './fake-upstream.js';

/** Headroom over the pool's maximum: the pool's reserved health-check connection and one spare. */
const EMBEDDED_EXTRA_CONNECTIONS = 2;

/** What the demo runs in-process when no DATABASE_URL / UPSTREAM_URL is given. */
@Module({
  providers: [
    {
      provide: EMBEDDED_DATABASE,
      inject: [ConfigService],
      useFactory: async (config: ConfigService): Promise<EmbeddedDatabase | null> => {
        const options = demoOptions.parse(demoOptions.fromEnv(config));
        if (options.databaseUrl) return null;
        new Logger('Demo').log('DATABASE_URL is not set: starting the embedded PostgreSQL (PGlite)');
        return EmbeddedDatabase.start({
          maxConnections: options.embeddedPoolMaxSize + EMBEDDED_EXTRA_CONNECTIONS,
          sharedBuffersMb: options.embeddedSharedBuffersMb,
        });
      },
    },
    {
      provide: FAKE_UPSTREAM,
      inject: [ConfigService],
      useFactory: async (config: ConfigService): Promise<FakeUpstream | null> =>
        demoOptions.parse(demoOptions.fromEnv(config)).upstreamUrl ? null : FakeUpstream.start(),
    },
  ],
  exports: [EMBEDDED_DATABASE, FAKE_UPSTREAM],
})
export class DemoInfraModule implements OnApplicationShutdown {
  constructor(
    @Inject(EMBEDDED_DATABASE) private readonly database: EmbeddedDatabase | null,
    @Inject(FAKE_UPSTREAM) private readonly upstream: FakeUpstream | null,
    private readonly moduleRef: ModuleRef,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    // The pools hold connections to what we are about to stop: close them first (closing twice is harmless).
    await this.moduleRef.get(PoolRegistry, { strict: false }).close();
    await Promise.all([this.database?.stop(), this.upstream?.stop()]);
  }
}

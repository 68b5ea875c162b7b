import { BallastCoreModule } from '@ballast/core';
import { ResourceTrackerModule, type ResourceTrackerModuleOptions } from '@ballast/tracker';
import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';

/** A Ballast app with core (performance API on, no default metrics), the tracker, and what a test adds. */
export async function startTrackerApp(
  options: ResourceTrackerModuleOptions,
  imports: NonNullable<ModuleMetadata['imports']> = [],
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      BallastCoreModule.forRoot({ performanceApi: { enabled: true }, metrics: { defaultMetrics: false } }),
      ResourceTrackerModule.forRoot(options),
      ...imports,
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

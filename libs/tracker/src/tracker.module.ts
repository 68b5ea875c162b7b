import { RESOURCE_REGISTRY, type ResourceRegistryHolder } from '@ballast/core';
import { Module, type DynamicModule } from '@nestjs/common';

import { ResourceOwnerInterceptor } from './resource-owner.interceptor.js';
import { ResourceTracker } from './resource-tracker.js';
import { ResourceTrackerService } from './resource-tracker.service.js';
import { setActiveRegistry } from './tracked.js';
import { trackerConfigFrom } from './tracker-config.js';
import { RESOURCE_TRACKER, RESOURCE_TRACKER_OPTIONS } from './tracker.constants.js';
import {
  ConfigurableTrackerModule,
  TRACKER_MODULE_OPTIONS,
  TRACKER_OPTIONS_TYPE,
} from './tracker.module-definition.js';
import { trackerOptions, type ResourceTrackerModuleOptions, type ResourceTrackerOptions } from './tracker.options.js';

/**
 * Built while providers are created, before any module's onModuleInit opens anything, and
 * installed into core's registry holder so pools and caches register into it whatever the import order.
 */
function createTracker(options: ResourceTrackerOptions, holder: ResourceRegistryHolder): ResourceTracker {
  const tracker = new ResourceTracker(trackerConfigFrom(options));
  if (options.level !== 'off') {
    holder.install(tracker);
    setActiveRegistry(tracker);
  }
  return tracker;
}

/**
 * Tracks what the app opens (sockets, files, timers, pool connections, user objects), finds
 * leaks, forecasts exhaustion and reports it all through core's metrics, health and reports.
 * Needs `BallastCoreModule`; uses the app's `ScheduleModule` when there is one.
 */
@Module({
  providers: [
    {
      provide: RESOURCE_TRACKER_OPTIONS,
      useFactory: (raw: ResourceTrackerModuleOptions): ResourceTrackerOptions => trackerOptions.parse(raw),
      inject: [TRACKER_MODULE_OPTIONS],
    },
    { provide: RESOURCE_TRACKER, useFactory: createTracker, inject: [RESOURCE_TRACKER_OPTIONS, RESOURCE_REGISTRY] },
    ResourceTrackerService,
    ResourceOwnerInterceptor,
  ],
  exports: [RESOURCE_TRACKER_OPTIONS, RESOURCE_TRACKER, ResourceTrackerService, ResourceOwnerInterceptor],
})
export class ResourceTrackerModule extends ConfigurableTrackerModule {
  /** `forRoot()` with no argument: every option has a default or an environment variable. */
  static override forRoot(options: typeof TRACKER_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }
}

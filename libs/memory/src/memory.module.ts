import { MEMORY_GOVERNOR } from '@ballast/core';
import { Module, type DynamicModule } from '@nestjs/common';

import { MemoryGovernorService } from './memory-governor.service.js';
import { MemorySheddingGuard } from './memory-shedding.guard.js';
import { MEMORY_OPTIONS } from './memory.constants.js';
import { ConfigurableMemoryModule, MEMORY_MODULE_OPTIONS, MEMORY_OPTIONS_TYPE } from './memory.module-definition.js';
import { memoryOptions, type MemoryModuleOptions, type MemoryOptions } from './memory.options.js';

/**
 * One memory budget for the process: the limit found (option, cgroup, V8 heap), pressure levels,
 * consumers registered under core's `MEMORY_GOVERNOR` asked to shrink, reservations, and shedding
 * at critical. Needs `BallastCoreModule`; global by default so every cache finds the governor.
 */
@Module({
  providers: [
    {
      provide: MEMORY_OPTIONS,
      useFactory: (raw: MemoryModuleOptions): MemoryOptions => memoryOptions.parse(raw),
      inject: [MEMORY_MODULE_OPTIONS],
    },
    MemoryGovernorService,
    { provide: MEMORY_GOVERNOR, useExisting: MemoryGovernorService },
    MemorySheddingGuard,
  ],
  exports: [MEMORY_OPTIONS, MemoryGovernorService, MEMORY_GOVERNOR, MemorySheddingGuard],
})
export class MemoryModule extends ConfigurableMemoryModule {
  /** `forRoot()` with no argument: every option has a default or an environment variable. */
  static override forRoot(options: typeof MEMORY_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot({ isGlobal: true, ...options });
  }
}

import { Module, type DynamicModule } from '@nestjs/common';

import { BreakerRegistry } from './breaker/breaker.registry.js';
import { DeadLetterService } from './dead-letter/dead-letter.service.js';
import { ResilienceHolder } from './decorators/resilience.holder.js';
import { RESILIENCE_OPTIONS } from './resilience.constants.js';
import { BreakerOperatorController } from './operator-api/breaker-operator.controller.js';
import { BreakerOperatorService } from './operator-api/breaker-operator.service.js';
import { ResilienceEvents } from './resilience.events.js';
import { ResilienceHealthIndicator } from './resilience.health-indicator.js';
import { ResilienceLifecycle } from './resilience.lifecycle.js';
import { ResilienceMetrics } from './resilience.metrics.js';
import {
  ConfigurableResilienceModule,
  RESILIENCE_MODULE_OPTIONS,
  RESILIENCE_OPTIONS_TYPE,
} from './resilience.module-definition.js';
import { resilienceOptions, type ResilienceModuleOptions, type ResilienceOptions } from './resilience.options.js';
import { ResilienceRuntime } from './resilience.runtime.js';

/**
 * Circuit breakers, retry, timeout, bulkhead, fallback and dead letters for a Nest app.
 * Global by default: inject `BreakerRegistry`, `DeadLetterService`, `ResilienceEvents` or the
 * `ResilienceRuntime` anywhere; the method decorators need no injection at all. Serves
 * `/api/performance/breakers` (operator states) while core's performance API is on.
 */
@Module({
  // Under the performance API's path and guard: 404 while that API is off.
  controllers: [BreakerOperatorController],
  providers: [
    {
      provide: RESILIENCE_OPTIONS,
      useFactory: (raw: ResilienceModuleOptions): ResilienceOptions => resilienceOptions.parse(raw),
      inject: [RESILIENCE_MODULE_OPTIONS],
    },
    {
      provide: ResilienceRuntime,
      useFactory: (options: ResilienceOptions) => {
        const runtime = new ResilienceRuntime(options);
        // Installed now, not at onModuleInit: a decorated method called from another module's init uses it too.
        ResilienceHolder.install(runtime);
        return runtime;
      },
      inject: [RESILIENCE_OPTIONS],
    },
    {
      provide: BreakerRegistry,
      useFactory: (runtime: ResilienceRuntime) => runtime.breakers,
      inject: [ResilienceRuntime],
    },
    {
      provide: DeadLetterService,
      useFactory: (runtime: ResilienceRuntime) => runtime.deadLetters,
      inject: [ResilienceRuntime],
    },
    {
      provide: ResilienceEvents,
      useFactory: (runtime: ResilienceRuntime) => runtime.events,
      inject: [ResilienceRuntime],
    },
    ResilienceMetrics,
    ResilienceLifecycle,
    ResilienceHealthIndicator,
    BreakerOperatorService,
  ],
  exports: [
    RESILIENCE_OPTIONS,
    ResilienceRuntime,
    BreakerRegistry,
    DeadLetterService,
    ResilienceEvents,
    ResilienceHealthIndicator,
  ],
})
export class ResilienceModule extends ConfigurableResilienceModule {
  /** `forRoot()` with no argument: every option has a default or an environment variable. */
  static override forRoot(options: typeof RESILIENCE_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }
}

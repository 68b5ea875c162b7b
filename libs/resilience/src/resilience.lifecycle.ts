import {
  appIntervalRegistry,
  HealthContributorRegistry,
  RedactingLogger,
  ReporterRegistry,
  RESOURCE_REGISTRY,
  type IntervalRegistry,
  type ResourceHandle,
  type ResourceRegistry,
} from '@ballast/core';
import { Inject, Injectable, Optional, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';

import { ResilienceHolder } from './decorators/resilience.holder.js';
import { RESILIENCE_OPTIONS } from './resilience.constants.js';
import { breakersHealth, deadLetterStoreHealth, type SharedStateHealth } from './resilience.health.js';
import { ResilienceMetrics } from './resilience.metrics.js';
import type { ResilienceOptions } from './resilience.options.js';
import { resilienceReport } from './resilience.reporter.js';
import { ResilienceRuntime } from './resilience.runtime.js';
import { SharedBreakerState } from './shared-state/shared-breaker-state.js';

const RETENTION_JOB = 'ballast-resilience-dead-letter-retention';

/**
 * Starts and stops what the module opens, in order: the dead-letter store, shared state, health,
 * report and retention job on start; the reverse on shutdown, then the runtime (breakers leave the
 * rotation clock, deadlines expire, the store closes). After `app.close()` nothing of ours is left.
 */
@Injectable()
export class ResilienceLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new RedactingLogger('ResilienceModule');
  private readonly cleanups: (() => void)[] = [];
  private readonly handles: ResourceHandle[] = [];
  private sharedState: SharedBreakerState | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  private scheduler: IntervalRegistry | undefined;

  constructor(
    private readonly runtime: ResilienceRuntime,
    @Inject(RESILIENCE_OPTIONS) private readonly options: ResilienceOptions,
    private readonly metrics: ResilienceMetrics,
    private readonly moduleRef: ModuleRef,
    @Optional() private readonly health?: HealthContributorRegistry,
    @Optional() private readonly reporters?: ReporterRegistry,
    @Optional() @Inject(RESOURCE_REGISTRY) private readonly resources?: ResourceRegistry,
  ) {}

  /** Shared-state connection status, when shared state is on. */
  get sharedStateHealth(): SharedStateHealth | undefined {
    return this.sharedState;
  }

  async onModuleInit(): Promise<void> {
    this.scheduler = await appIntervalRegistry(this.moduleRef);
    this.runtime.events.onListenerError = (error) =>
      this.logger.error(`A resilience event listener threw: ${(error as Error)?.message ?? error}`);
    const store = this.runtime.deadLetters.store;
    try {
      await this.runtime.init();
    } catch (error) {
      throw new Error(
        `ResilienceModule: the ${store.kind} dead-letter store could not start: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    if (store.kind !== 'memory') {
      this.track(store, { type: `${store.kind}-client`, owner: 'ResilienceModule', details: { use: 'dead letters' } });
    }

    if (this.options.sharedState.enabled) {
      this.sharedState = new SharedBreakerState(this.runtime, this.options.sharedState);
      await this.sharedState.start();
      this.metrics.attachSharedState(this.sharedState);
      this.track(this.sharedState, {
        type: 'redis-client',
        owner: 'ResilienceModule',
        details: { use: 'shared breaker state' },
      });
    }

    if (this.health && this.options.health.enabled) {
      this.cleanups.push(
        this.health.register({
          name: 'resilience:breakers',
          probe: () => breakersHealth(this.runtime, this.sharedState),
          probes: ['readiness'],
          // Unhealthy only through a breaker configured with healthImpact: 'down': the per-breaker
          // way to say "this upstream is critical". Open breakers with a fallback are degraded.
          critical: true,
        }),
      );
      if (store.kind !== 'memory') {
        this.cleanups.push(
          this.health.register({
            name: 'resilience:dead-letters',
            probe: () => deadLetterStoreHealth(this.runtime),
            probes: ['readiness'],
            // Calls go on without a dead-letter store; only failed letters cannot be kept.
            critical: false,
          }),
        );
      }
    }
    if (this.reporters) {
      this.cleanups.push(
        this.reporters.register({
          name: 'resilience',
          kind: 'breaker',
          report: () => resilienceReport(this.runtime, this.sharedState),
        }),
      );
    }
    this.scheduleRetention();
    ResilienceHolder.install(this.runtime);
  }

  async onApplicationShutdown(): Promise<void> {
    ResilienceHolder.uninstall(this.runtime);
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    if (this.retentionTimer !== undefined) {
      if (this.scheduler?.doesExist('interval', RETENTION_JOB)) this.scheduler.deleteInterval(RETENTION_JOB);
      clearInterval(this.retentionTimer);
      this.retentionTimer = undefined;
    }
    await this.sharedState?.stop();
    await this.runtime.close();
    for (const handle of this.handles.splice(0)) handle.release();
  }

  private scheduleRetention(): void {
    const every = this.options.deadLetter.purgeIntervalMs;
    if (every <= 0) return;
    const timer = setInterval(() => {
      this.runtime.deadLetters.trim().catch((error: unknown) => {
        this.logger.warn(`Dead-letter retention failed (will retry): ${(error as Error).message}`);
      });
    }, every);
    timer.unref();
    this.retentionTimer = timer;
    this.track(timer, { type: 'interval', owner: 'ResilienceModule', details: { use: 'dead-letter retention' } });
    // Through @nestjs/schedule when the app has it, so the job is listed with the app's other jobs.
    if (this.scheduler && !this.scheduler.doesExist('interval', RETENTION_JOB)) {
      this.scheduler.addInterval(RETENTION_JOB, timer);
    }
  }

  private track(resource: object, info: Parameters<ResourceRegistry['register']>[1]): void {
    if (this.resources) this.handles.push(this.resources.register(resource, { ...info, longLived: true }));
  }
}

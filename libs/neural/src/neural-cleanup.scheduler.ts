import {
  Inject,
  Injectable,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import {
  appIntervalRegistry,
  HealthContributorRegistry,
  PrivateIntervalRegistry,
  RedactingLogger,
  RESOURCE_REGISTRY,
  ReporterRegistry,
  type IntervalRegistry,
  type ResourceHandle,
  type ResourceRegistry,
} from '@ballast/core';

import { ModelCache } from './model-cache.js';
import { NEURAL_CLEANUP_JOB, NEURAL_OPTIONS, RESULT_CACHE } from './neural.constants.js';
import { neuralHealth } from './neural.health.js';
import { NeuralMetrics } from './neural.metrics.js';
import type { NeuralOptions } from './neural.options.js';
import { NeuralReporter } from './neural.reporter.js';
import { ResultCache } from './result-cache.js';

/**
 * The module's lifecycle: the cleanup interval (through `SchedulerRegistry`, a private registry when
 * the app has no ScheduleModule or no @nestjs/schedule), health and report registration, warm-up at bootstrap, and on
 * shutdown: stop the interval, wait for leases, release every session.
 */
@Injectable()
export class NeuralLifecycle implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new RedactingLogger('NeuralModule');
  private scheduler: IntervalRegistry = new PrivateIntervalRegistry();
  private interval?: NodeJS.Timeout;
  private readonly undo: (() => void)[] = [];
  private timerHandle?: ResourceHandle;

  constructor(
    private readonly cache: ModelCache<unknown>,
    @Inject(NEURAL_OPTIONS) private readonly options: NeuralOptions,
    @Inject(RESULT_CACHE) private readonly results: ResultCache | null,
    private readonly moduleRef: ModuleRef,
    @Optional() private readonly metrics?: NeuralMetrics,
    @Optional() private readonly health?: HealthContributorRegistry,
    @Optional() private readonly reporters?: ReporterRegistry,
    @Optional() @Inject(RESOURCE_REGISTRY) private readonly resources?: ResourceRegistry,
  ) {}

  async onModuleInit(): Promise<void> {
    this.scheduler = (await appIntervalRegistry(this.moduleRef)) ?? this.scheduler;
    if (this.results) this.cache.resultBytesOf = (key) => this.results!.bytesOf(key);
    this.metrics?.attach(this.cache, this.results);
    const interval = setInterval(() => this.cleanup(), this.options.cleanupIntervalMs);
    interval.unref();
    this.scheduler.addInterval(NEURAL_CLEANUP_JOB, interval);
    this.interval = interval;
    this.timerHandle = this.resources?.register(interval, {
      type: 'timer',
      owner: 'NeuralModule',
      longLived: true,
      details: { job: NEURAL_CLEANUP_JOB, everyMs: this.options.cleanupIntervalMs },
    });
    if (this.health)
      this.undo.push(this.health.register({ name: 'neural:models', probe: () => neuralHealth(this.cache) }));
    if (this.reporters) {
      const reporter = new NeuralReporter(this.cache, this.results);
      this.undo.push(this.reporters.register({ name: 'models', kind: 'models', report: () => reporter.report() }));
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.warmUp.length > 0) {
      await this.cache.warmUp(this.options.warmUp);
      this.logger.log(`Warmed up ${this.options.warmUp.length} model(s)`);
    }
  }

  cleanup(): void {
    this.cache.cleanup();
    this.results?.purgeExpired();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.interval) {
      // ScheduleModule may have cleared its registry first; the interval is ours to stop either way.
      if (this.scheduler.doesExist('interval', NEURAL_CLEANUP_JOB)) this.scheduler.deleteInterval(NEURAL_CLEANUP_JOB);
      clearInterval(this.interval);
      this.interval = undefined;
    }
    this.timerHandle?.release();
    for (const undo of this.undo.splice(0)) undo();
    const { forced } = await this.cache.close();
    if (forced.length > 0) {
      this.logger.warn(
        `Released ${forced.length} model(s) whose leases were still held after ${this.options.drainTimeoutMs} ms`,
      );
    }
    this.results?.clear();
    this.metrics?.detach();
  }
}

import { constants as perfConstants, PerformanceObserver } from 'node:perf_hooks';

import {
  appIntervalRegistry,
  HealthContributorRegistry,
  InjectMetricsRegistry,
  PrivateIntervalRegistry,
  RedactingLogger,
  ReporterRegistry,
  type IntervalRegistry,
  type MemoryConsumer,
  type MemoryGovernorRef,
  type MemoryPressureLevel,
  type MemoryReservation,
  type MetricsRegistry,
} from '@ballast/core';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';

import { detectMemoryBudget } from './memory-budget.js';
import { MemoryGovernor } from './memory-governor.js';
import type { MemoryLevelChange, MemorySample } from './memory-sample.js';
import { MEMORY_OPTIONS } from './memory.constants.js';
import { memoryHealth } from './memory.health.js';
import { MemoryMetrics } from './memory.metrics.js';
import type { MemoryOptions } from './memory.options.js';
import { memoryReport } from './memory.reporter.js';

const MB = 1024 * 1024;
let instances = 0;

/**
 * Runs the governor inside the app (and is what `MEMORY_GOVERNOR` resolves to): detects the budget
 * when created, samples on a named interval and after each major GC, and reports through core's
 * metrics, health and performance report. On shutdown it stops sampling and lifts every cap.
 */
@Injectable()
export class MemoryGovernorService implements MemoryGovernorRef, OnModuleInit, OnApplicationShutdown {
  readonly governor: MemoryGovernor;
  private readonly metrics: MemoryMetrics;
  private readonly logger = new RedactingLogger('MemoryGovernor');
  private readonly intervalName = `ballast:memory:sample:${++instances}`;
  private scheduler: IntervalRegistry = new PrivateIntervalRegistry();
  private readonly stops: Array<() => void> = [];
  private observer?: PerformanceObserver;

  constructor(
    @Inject(MEMORY_OPTIONS) readonly options: MemoryOptions,
    @InjectMetricsRegistry() registry: MetricsRegistry,
    private readonly health: HealthContributorRegistry,
    private readonly reporters: ReporterRegistry,
    private readonly moduleRef: ModuleRef,
  ) {
    this.metrics = new MemoryMetrics(registry);
    const budget = detectMemoryBudget(options.maxMemoryMb, options.cgroupRoot);
    this.metrics.setBudget(budget);
    this.governor = new MemoryGovernor(
      {
        budget,
        thresholds: {
          elevated: options.elevatedPercent / 100,
          critical: options.criticalPercent / 100,
          hysteresis: options.hysteresisPercent / 100,
        },
        retryAfterMs: options.retryAfterSeconds * 1000,
      },
      {
        onSample: (sample, costMs) => this.metrics.observe(sample, this.governor.consumerList(), costMs),
        onShrunk: (consumer, bytes) => this.metrics.shrunk(consumer, bytes),
        onRefused: () => this.metrics.refusal(),
      },
    );
  }

  get level(): MemoryPressureLevel {
    return this.governor.level;
  }

  register(consumer: MemoryConsumer): () => void {
    const unregister = this.governor.register(consumer);
    return () => {
      unregister();
      this.metrics.dropConsumer(consumer.name);
    };
  }

  reserve(bytes: number, owner: string): MemoryReservation {
    return this.governor.reserve(bytes, owner);
  }

  onLevelChange(listener: (change: MemoryLevelChange) => void): () => void {
    return this.governor.onLevelChange(listener);
  }

  sample(): MemorySample {
    return this.governor.sample('manual');
  }

  /** A request shed by `MemorySheddingGuard` (counted in `ballast_memory_shed_total`). */
  recordShed(): void {
    this.metrics.shedRequest();
  }

  async onModuleInit(): Promise<void> {
    this.scheduler = (await appIntervalRegistry(this.moduleRef)) ?? this.scheduler;
    const { budget } = this.governor;
    this.logger.log(
      `budget ${Math.round(budget.limitBytes / MB)} MB from ${budget.source} (measured as ${budget.measure}), ` +
        `elevated at ${this.options.elevatedPercent}%, critical at ${this.options.criticalPercent}%`,
    );
    this.stops.push(
      this.governor.onLevelChange(({ from, to, sample }) => {
        const line = `pressure ${from} -> ${to}: ${Math.round(sample.usedBytes / MB)} MB (${(sample.ratio * 100).toFixed(1)}%)`;
        if (to === 'normal') this.logger.log(line);
        else this.logger.warn(line);
      }),
      this.health.register({
        name: 'memory',
        probe: () => memoryHealth(this.governor, this.options.readinessAtCritical),
        probes: ['readiness'],
        critical: this.options.readinessAtCritical,
      }),
      this.reporters.register({
        name: 'memory',
        kind: 'memory',
        report: () => memoryReport(this.governor, this.options.readinessAtCritical),
      }),
    );
    this.governor.sample('interval');
    const interval = setInterval(() => this.governor.sample('interval'), this.options.sampleIntervalMs);
    interval.unref();
    this.scheduler.addInterval(this.intervalName, interval);
    if (this.options.sampleAfterGc) {
      this.observer = new PerformanceObserver((list) => {
        const major = list
          .getEntries()
          .some(
            (entry) =>
              (entry as { detail?: { kind?: number } }).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR,
          );
        if (major) this.governor.sample('gc');
      });
      this.observer.observe({ entryTypes: ['gc'] });
    }
  }

  onApplicationShutdown(): void {
    // ScheduleModule may have cleared its registry first; the interval is ours to stop either way.
    if (this.scheduler.doesExist('interval', this.intervalName)) this.scheduler.deleteInterval(this.intervalName);
    this.observer?.disconnect();
    this.observer = undefined;
    for (const stop of this.stops.splice(0).reverse()) stop();
    this.governor.close();
  }
}

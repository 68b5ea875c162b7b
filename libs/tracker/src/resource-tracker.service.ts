import {
  appIntervalRegistry,
  HealthContributorRegistry,
  InjectMetricsRegistry,
  PrivateIntervalRegistry,
  RESOURCE_REGISTRY,
  RedactingLogger,
  ReporterRegistry,
  type ComponentReport,
  type IntervalRegistry,
  type MetricsRegistry,
  type ResourceLeak,
  type ResourceRegistryHolder,
} from '@ballast/core';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';

import { DependencyGraph } from './dependency-graph.js';
import type { Forecast } from './exhaustion-forecast.js';
import { ExhaustionForecaster } from './exhaustion-forecaster.js';
import type { ResourceTracker } from './resource-tracker.js';
import { AsyncResourceRecorder } from './signals/async-hook.recorder.js';
import {
  heapLimitBytes,
  openFileLimit,
  sampleProcessResources,
  type ProcessResourceSample,
} from './signals/process-poller.js';
import { activeRegistry, setActiveRegistry } from './tracked.js';
import { RESOURCE_TRACKER, RESOURCE_TRACKER_OPTIONS } from './tracker.constants.js';
import { signalsFrom } from './tracker-config.js';
import { trackerHealth } from './tracker.health.js';
import { TrackerMetrics } from './tracker.metrics.js';
import type { ResourceTrackerOptions } from './tracker.options.js';
import { trackerReport } from './tracker.reporter.js';

/** A collected-without-close report keeps the app degraded this long, then only the report shows it. */
const COLLECTED_HEALTH_WINDOW_MS = 10 * 60_000;
let instances = 0;

/**
 * Runs the tracker inside the app: starts the signals, scans and polls through SchedulerRegistry,
 * feeds metrics, health, the `resources` report and the forecast, and on shutdown closes what was
 * registered for teardown in reverse dependency order, then undoes everything it installed.
 */
@Injectable()
export class ResourceTrackerService implements OnModuleInit, OnApplicationShutdown {
  readonly graph = new DependencyGraph();
  readonly forecaster: ExhaustionForecaster;
  private readonly closers = new Map<string, () => unknown>();
  private readonly metrics: TrackerMetrics;
  // Without the app's ScheduleModule a private registry still names and clears our intervals.
  private scheduler: IntervalRegistry = new PrivateIntervalRegistry();
  private readonly logger = new RedactingLogger('ResourceTracker');
  private readonly instance = ++instances;
  private readonly stops: Array<() => void> = [];
  private readonly intervals: string[] = [];
  private recorder?: AsyncResourceRecorder;
  private lastSample?: ProcessResourceSample;
  private overheadMs = 0;

  constructor(
    @Inject(RESOURCE_TRACKER) readonly tracker: ResourceTracker,
    @Inject(RESOURCE_TRACKER_OPTIONS) private readonly options: ResourceTrackerOptions,
    @Inject(RESOURCE_REGISTRY) private readonly holder: ResourceRegistryHolder,
    @InjectMetricsRegistry() registry: MetricsRegistry,
    private readonly health: HealthContributorRegistry,
    private readonly reporters: ReporterRegistry,
    private readonly moduleRef: ModuleRef,
  ) {
    this.metrics = new TrackerMetrics(registry);
    this.forecaster = new ExhaustionForecaster(
      { window: options.forecast.window, horizonMs: options.forecast.horizonMs },
      options.forecast.limits,
    );
    const fdLimit = openFileLimit();
    if (fdLimit !== undefined && this.forecaster.limitOf('fd-open') === undefined) {
      this.forecaster.setLimit('fd-open', fdLimit);
    }
    if (this.forecaster.limitOf('heap-bytes') === undefined) this.forecaster.setLimit('heap-bytes', heapLimitBytes());
  }

  get enabled(): boolean {
    return this.options.level !== 'off';
  }

  async onModuleInit(): Promise<void> {
    this.scheduler = (await appIntervalRegistry(this.moduleRef)) ?? this.scheduler;
    for (const [dependent, dependencies] of Object.entries(this.options.dependencies)) {
      for (const dependency of dependencies) this.graph.dependsOn(dependent, dependency);
    }
    if (!this.enabled) return;
    for (const signal of signalsFrom(this.options)) this.stops.push(signal.start(this.tracker));
    if (this.options.level === 'debug') {
      this.recorder = new AsyncResourceRecorder();
      this.recorder.start();
    }
    this.tracker.addListener({
      onLeak: (leak) => {
        this.metrics.leak(leak);
        this.logger.warn(
          `leak: ${leak.type} ${leak.id} of ${leak.owner ?? 'unknown owner'} ${leak.reason} after ${Math.round(leak.ageMs / 1000)} s`,
        );
      },
      onRetract: (retraction) => {
        this.metrics.retract(retraction);
        this.logger.log(`retracted: ${retraction.type} ${retraction.id} ${retraction.message}`);
      },
    });
    this.every('scan', this.options.scan.intervalMs, () => this.scan());
    if (this.options.signals.pollIntervalMs > 0)
      this.every('poll', this.options.signals.pollIntervalMs, () => this.poll());
    this.stops.push(
      this.health.register({ name: 'resources', probe: () => this.healthSnapshot(), probes: ['readiness'] }),
      this.reporters.register({ name: 'tracker', kind: 'resources', report: () => this.report() }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    for (const name of this.intervals.splice(0)) {
      if (this.scheduler.doesExist('interval', name)) this.scheduler.deleteInterval(name);
    }
    const { errors } = await this.graph.teardown(this.closers);
    for (const error of errors) this.logger.error(`teardown: ${error.message}`);
    for (const stop of this.stops.splice(0).reverse()) stop();
    this.recorder?.stop();
    this.holder.uninstall(this.tracker);
    if (activeRegistry() === this.tracker) setActiveRegistry(undefined);
  }

  /** `dependent` uses `dependency`: it is closed first on shutdown. Throws naming a cycle. */
  dependsOn(dependent: string, dependency: string): void {
    this.graph.dependsOn(dependent, dependency);
  }

  /** Closes `name` on shutdown, after everything that depends on it. */
  closeOnShutdown(name: string, close: () => unknown): void {
    this.graph.add(name);
    this.closers.set(name, close);
  }

  /** One scan now (the interval calls it too); returns the leaks found by it. */
  scan(): number {
    const started = performance.now();
    const result = this.tracker.scan();
    const now = Date.now();
    for (const [type, count] of result.open) this.forecaster.record(type, now, count);
    this.metrics.setOpen(result.open);
    this.metrics.forecasts(this.forecaster.forecasts());
    this.spent(started);
    return result.newLeaks + result.collectedWithoutClose;
  }

  poll(): ProcessResourceSample {
    const started = performance.now();
    const sample = sampleProcessResources();
    const now = Date.now();
    if (sample.fds !== undefined) {
      this.forecaster.record('fd-open', now, sample.fds);
      this.metrics.fds(sample.fds);
    }
    this.forecaster.record('heap-bytes', now, sample.heapUsedBytes);
    this.lastSample = sample;
    this.spent(started);
    return sample;
  }

  /** Leaks that should keep the app degraded now: open ones past their limit, recent collected ones. */
  currentLeaks(): ResourceLeak[] {
    const now = Date.now();
    return this.tracker
      .detectLeaks()
      .filter(
        (leak) =>
          leak.reason !== 'collected-without-close' ||
          Date.parse(leak.createdAt) + leak.ageMs > now - COLLECTED_HEALTH_WINDOW_MS,
      );
  }

  forecasts(): Forecast[] {
    return this.forecaster.forecasts();
  }

  healthSnapshot(): ReturnType<typeof trackerHealth> {
    return trackerHealth(this.currentLeaks(), this.forecaster.alerts(), this.tracker.stats.open);
  }

  report(): ComponentReport {
    const base = trackerReport({
      open: this.tracker.openCounts(),
      leaks: this.tracker.detectLeaks(),
      forecasts: this.forecaster.forecasts(),
      totals: this.tracker.stats,
      overheadMs: this.overheadMs,
      fds: this.lastSample?.fds,
    });
    if (!this.recorder) return base;
    const asyncCounts = Object.fromEntries([...this.recorder.counts()].map(([type, n]) => [`async.${type}`, n]));
    return { ...base, metrics: { ...base.metrics, ...asyncCounts } };
  }

  private every(what: string, ms: number, run: () => unknown): void {
    const name = `ballast-tracker-${what}#${this.instance}`;
    const timer = setInterval(() => {
      try {
        run();
      } catch (error) {
        this.logger.error(`${what} failed: ${(error as Error).message}`);
      }
    }, ms);
    timer.unref();
    this.scheduler.addInterval(name, timer);
    this.intervals.push(name);
  }

  private spent(started: number): void {
    const ms = performance.now() - started;
    this.overheadMs += ms;
    this.metrics.spent(ms / 1_000);
  }
}

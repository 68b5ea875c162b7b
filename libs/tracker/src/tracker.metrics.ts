import { counterOf, gaugeOf, type MetricsRegistry, type ResourceLeak } from '@ballast/core';
import type { Counter, Gauge } from 'prom-client';

import type { Forecast } from './exhaustion-forecast.js';
import type { LeakRetraction } from './interfaces/tracked-resource.interface.js';

/** The tracker's Prometheus families on the app registry. */
export class TrackerMetrics {
  private readonly resources: Gauge<'type'>;
  private readonly leaks: Counter<'type' | 'reason'>;
  private readonly retractions: Counter<'type'>;
  private readonly overhead: Counter;
  private readonly exhaustion: Gauge<'type'>;
  private readonly processFds: Gauge;

  constructor(registry: MetricsRegistry) {
    this.resources = gaugeOf(registry, {
      name: 'ballast_resources',
      help: 'Open tracked resources by type',
      labelNames: ['type'],
    });
    this.leaks = counterOf(registry, {
      name: 'ballast_resource_leaks_total',
      help: 'Resources reported as leaked (held-too-long or collected-without-close)',
      labelNames: ['type', 'reason'],
    });
    this.retractions = counterOf(registry, {
      name: 'ballast_resource_leak_retractions_total',
      help: 'Leak reports retracted because the resource was released after all',
      labelNames: ['type'],
    });
    this.overhead = counterOf(registry, {
      name: 'ballast_tracker_overhead_seconds_total',
      help: 'Time the tracker spent in its scans and polls',
    });
    this.exhaustion = gaugeOf(registry, {
      name: 'ballast_resource_exhaustion_seconds',
      help: 'Forecast time until a resource type reaches its limit (absent when not growing)',
      labelNames: ['type'],
    });
    this.processFds = gaugeOf(registry, {
      name: 'ballast_process_open_fds',
      help: 'Open file descriptors of the process (/proc/self/fd)',
    });
  }

  setOpen(counts: ReadonlyMap<string, number>): void {
    for (const [type, count] of counts) this.resources.set({ type }, count);
  }

  leak(leak: ResourceLeak): void {
    this.leaks.inc({ type: leak.type, reason: leak.reason });
  }

  retract(retraction: LeakRetraction): void {
    this.retractions.inc({ type: retraction.type });
  }

  spent(seconds: number): void {
    this.overhead.inc(seconds);
  }

  fds(count: number): void {
    this.processFds.set(count);
  }

  forecasts(forecasts: readonly Forecast[]): void {
    this.exhaustion.reset();
    for (const f of forecasts) {
      if (f.exhaustionInMs !== undefined) this.exhaustion.set({ type: f.type }, f.exhaustionInMs / 1_000);
    }
  }
}

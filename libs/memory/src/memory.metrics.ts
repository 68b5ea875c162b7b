import { counterOf, gaugeOf, type MetricsRegistry } from '@ballast/core';
import type { Counter, Gauge } from 'prom-client';

import type { MemoryBudget } from './memory-budget.js';
import type { MemorySample } from './memory-sample.js';

const LEVEL_VALUE = { normal: 0, elevated: 1, critical: 2 } as const;

/** The governor's Prometheus families on the app registry. */
export class MemoryMetrics {
  private readonly budget: Gauge<'source' | 'measure'>;
  private readonly usage: Gauge<'kind'>;
  private readonly level: Gauge;
  private readonly consumerBytes: Gauge<'consumer'>;
  private readonly freed: Counter<'consumer'>;
  private readonly refused: Counter;
  private readonly shed: Counter;
  private readonly overhead: Counter;

  constructor(registry: MetricsRegistry) {
    this.budget = gaugeOf(registry, {
      name: 'ballast_memory_budget_bytes',
      help: 'The process memory budget and where it came from (option, cgroup-v2, cgroup-v1, v8-heap)',
      labelNames: ['source', 'measure'],
    });
    this.usage = gaugeOf(registry, {
      name: 'ballast_memory_usage_bytes',
      help: 'Process memory at the last sample: rss, heap_used, external, array_buffers, reserved, counted',
      labelNames: ['kind'],
    });
    this.level = gaugeOf(registry, {
      name: 'ballast_memory_pressure_level',
      help: 'Memory pressure: 0 normal, 1 elevated, 2 critical',
    });
    this.consumerBytes = gaugeOf(registry, {
      name: 'ballast_memory_consumer_bytes',
      help: 'Bytes held by each registered memory consumer, by its own accounting',
      labelNames: ['consumer'],
    });
    this.freed = counterOf(registry, {
      name: 'ballast_memory_shrink_freed_bytes_total',
      help: 'Bytes consumers freed when the governor asked them to shrink',
      labelNames: ['consumer'],
    });
    this.refused = counterOf(registry, {
      name: 'ballast_memory_reservations_refused_total',
      help: 'Reservations refused because they would cross the critical threshold',
    });
    this.shed = counterOf(registry, {
      name: 'ballast_memory_shed_total',
      help: 'Requests answered 503 because memory pressure was critical',
    });
    this.overhead = counterOf(registry, {
      name: 'ballast_memory_sampling_seconds_total',
      help: 'Time the governor spent sampling',
    });
  }

  setBudget(budget: MemoryBudget): void {
    this.budget.reset();
    this.budget.set({ source: budget.source, measure: budget.measure }, budget.limitBytes);
  }

  observe(sample: MemorySample, consumers: ReadonlyArray<{ name: string; bytes: number }>, costMs: number): void {
    this.usage.set({ kind: 'rss' }, sample.rss);
    this.usage.set({ kind: 'heap_used' }, sample.heapUsed);
    this.usage.set({ kind: 'external' }, sample.external);
    this.usage.set({ kind: 'array_buffers' }, sample.arrayBuffers);
    this.usage.set({ kind: 'reserved' }, sample.reservedBytes);
    this.usage.set({ kind: 'counted' }, sample.usedBytes);
    this.level.set(LEVEL_VALUE[sample.level]);
    for (const c of consumers) this.consumerBytes.set({ consumer: c.name }, c.bytes);
    this.overhead.inc(costMs / 1000);
  }

  dropConsumer(name: string): void {
    this.consumerBytes.remove({ consumer: name });
  }

  shrunk(consumer: string, bytes: number): void {
    if (bytes > 0) this.freed.inc({ consumer }, bytes);
  }

  refusal(): void {
    this.refused.inc();
  }

  shedRequest(): void {
    this.shed.inc();
  }
}

import { counterOf, gaugeOf, histogramOf, InjectMetricsRegistry, type MetricsRegistry } from '@ballast/core';
import { Injectable, Optional, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Counter, Gauge, Histogram } from 'prom-client';

import { DURATION_BUCKETS_SECONDS, type BreakerStats } from './breaker/breaker.stats.js';
import type { BreakerStateName } from './errors/resilience.errors.js';
import { ResilienceRuntime } from './resilience.runtime.js';
import { SHARED_STATE_LAG_BUCKETS_SECONDS, type SharedStateStats } from './shared-state/shared-breaker-state.js';

const STATES: readonly BreakerStateName[] = ['closed', 'open', 'half-open', 'forced-open', 'disabled', 'metrics-only'];

/** A runtime and, when shared state is on, its counters: what one app contributes to a registry. */
interface Source {
  readonly runtime: ResilienceRuntime;
  sharedState?: { readonly stats: SharedStateStats; readonly connected: boolean };
}

/** Apps sharing one registry (tests, or an app handed an existing registry) each add their source. */
const sourcesByRegistry = new WeakMap<MetricsRegistry, Set<Source>>();

type Labels<T extends string> = Partial<Record<T, string | number>>;

function* breakerStats(source: Source): Generator<[name: string, stats: BreakerStats]> {
  for (const breaker of source.runtime.breakers.list()) yield [breaker.name, breaker.stats];
  for (const group of source.runtime.breakers.listKeyed()) yield [group.name, group.stats];
}

/**
 * Registers the module's metric families on the app registry. Nothing is counted through
 * prom-client on the call path: policies keep plain counters and the families read them when
 * Prometheus scrapes (`collect`), so a protected call costs the same with metrics on.
 */
function registerFamilies(registry: MetricsRegistry, sources: Set<Source>): void {
  const each = <T>(fn: (source: Source) => T): T[] => [...sources].map(fn);
  const counter = <T extends string>(
    name: string,
    help: string,
    labelNames: T[],
    read: (emit: (labels: Labels<T>, value: number) => void) => void,
  ): Counter<T> =>
    counterOf<T>(registry, {
      name,
      help,
      labelNames,
      collect(this: Counter<T>) {
        this.reset();
        read((labels, value) => this.inc(labels, value));
      },
    });
  const gauge = <T extends string>(
    name: string,
    help: string,
    labelNames: T[],
    read: (emit: (labels: Labels<T>, value: number) => void) => void,
  ): Gauge<T> =>
    gaugeOf<T>(registry, {
      name,
      help,
      labelNames,
      collect(this: Gauge<T>) {
        this.reset();
        read((labels, value) => this.set(labels, value));
      },
    });

  gauge(
    'ballast_circuit_breaker_state',
    'Breaker state: 1 for the current state (per-key groups: keys in that state)',
    ['breaker', 'state'],
    (emit) =>
      each(({ runtime }) => {
        for (const breaker of runtime.breakers.list()) {
          const current = breaker.state;
          for (const state of STATES) emit({ breaker: breaker.name, state }, current === state ? 1 : 0);
        }
        for (const group of runtime.breakers.listKeyed()) {
          const counts: Record<string, number> = { closed: 0, open: 0, 'half-open': 0 };
          for (const key of group.keys()) counts[group.peek(key)!.state] = (counts[group.peek(key)!.state] ?? 0) + 1;
          for (const state of STATES) emit({ breaker: group.name, state }, counts[state] ?? 0);
        }
      }),
  );
  counter('ballast_circuit_breaker_calls_total', 'Calls through breakers by outcome', ['breaker', 'outcome'], (emit) =>
    each((source) => {
      for (const [breaker, s] of breakerStats(source)) {
        emit({ breaker, outcome: 'success' }, s.successes);
        emit({ breaker, outcome: 'failure' }, s.failures);
        emit({ breaker, outcome: 'timeout' }, s.timeouts);
        emit({ breaker, outcome: 'ignored' }, s.ignored);
        emit({ breaker, outcome: 'short_circuited' }, s.shortCircuited);
      }
    }),
  );
  counter('ballast_circuit_breaker_slow_calls_total', 'Calls at or over slowCallDurationMs', ['breaker'], (emit) =>
    each((source) => {
      for (const [breaker, s] of breakerStats(source)) emit({ breaker }, s.slowCalls);
    }),
  );
  counter('ballast_circuit_breaker_transitions_total', 'State changes by target state', ['breaker', 'to'], (emit) =>
    each((source) => {
      for (const [breaker, s] of breakerStats(source)) {
        emit({ breaker, to: 'open' }, s.opens);
        emit({ breaker, to: 'half-open' }, s.halfOpens);
        emit({ breaker, to: 'closed' }, s.closes);
      }
    }),
  );
  gauge('ballast_circuit_breaker_failure_rate', 'Failure rate (percent) of the current window', ['breaker'], (emit) =>
    each(({ runtime }) => {
      for (const breaker of runtime.breakers.list()) emit({ breaker: breaker.name }, breaker.snapshot().failureRate);
    }),
  );
  gauge(
    'ballast_circuit_breaker_slow_call_rate',
    'Slow-call rate (percent) of the current window',
    ['breaker'],
    (emit) =>
      each(({ runtime }) => {
        for (const breaker of runtime.breakers.list()) emit({ breaker: breaker.name }, breaker.snapshot().slowCallRate);
      }),
  );
  gauge('ballast_circuit_breaker_keys', 'Per-key breakers held by a keyed group', ['breaker'], (emit) =>
    each(({ runtime }) => {
      for (const group of runtime.breakers.listKeyed()) emit({ breaker: group.name }, group.size);
    }),
  );
  counter(
    'ballast_circuit_breaker_key_evictions_total',
    'Per-key breakers evicted to stay within maxKeys',
    ['breaker'],
    (emit) =>
      each(({ runtime }) => {
        for (const group of runtime.breakers.listKeyed()) emit({ breaker: group.name }, group.evictions);
      }),
  );
  histogramOf<'breaker'>(registry, {
    name: 'ballast_circuit_breaker_call_duration_seconds',
    help: 'Duration of calls through breakers (successes, failures and timeouts)',
    labelNames: ['breaker'],
    buckets: [...DURATION_BUCKETS_SECONDS],
    collect(this: Histogram<'breaker'>) {
      this.reset();
      // Our own bucket counts, written where prom-client keeps a series (observe() per call costs ~0.3 us).
      const series = (this as unknown as { hashMap: Record<string, unknown> }).hashMap;
      for (const source of sources) {
        for (const [breaker, s] of breakerStats(source)) {
          const bucketValues: Record<number, number> = {};
          let count = 0;
          DURATION_BUCKETS_SECONDS.forEach((bound, i) => (bucketValues[bound] = s.durationCounts[i]!));
          for (const n of s.durationCounts) count += n;
          series[`breaker:${breaker}`] = { labels: { breaker }, bucketValues, sum: s.durationSumSeconds, count };
        }
      }
    },
  });

  counter('ballast_retry_calls_total', 'Calls through retry policies by outcome', ['retry', 'outcome'], (emit) =>
    each(({ runtime }) => {
      for (const [retry, { stats: s }] of runtime.retries) {
        emit({ retry, outcome: 'success_without_retry' }, s.successWithoutRetry);
        emit({ retry, outcome: 'success_with_retry' }, s.successWithRetry);
        emit({ retry, outcome: 'failed_with_retry' }, s.failedWithRetry);
        emit({ retry, outcome: 'failed_without_retry' }, s.failedWithoutRetry);
        emit({ retry, outcome: 'aborted' }, s.aborted);
      }
    }),
  );
  counter('ballast_retry_attempts_total', 'Retries performed (attempts after the first)', ['retry'], (emit) =>
    each(({ runtime }) => {
      for (const [retry, { stats }] of runtime.retries) emit({ retry }, stats.retries);
    }),
  );
  counter('ballast_timeout_calls_total', 'Calls under a timeout policy by outcome', ['timeout', 'outcome'], (emit) =>
    each(({ runtime }) => {
      for (const [timeout, { stats }] of runtime.timeouts) {
        emit({ timeout, outcome: 'timeout' }, stats.timeouts);
        emit({ timeout, outcome: 'in_time' }, Math.max(0, stats.calls - stats.timeouts));
      }
    }),
  );
  gauge('ballast_bulkhead_active', 'Calls running in the bulkhead', ['bulkhead'], (emit) =>
    each(({ runtime }) => {
      for (const [bulkhead, policy] of runtime.bulkheads) emit({ bulkhead }, policy.active);
    }),
  );
  gauge('ballast_bulkhead_queued', 'Calls waiting for a bulkhead slot', ['bulkhead'], (emit) =>
    each(({ runtime }) => {
      for (const [bulkhead, policy] of runtime.bulkheads) emit({ bulkhead }, policy.queued);
    }),
  );
  gauge('ballast_bulkhead_max_concurrent', 'Configured maxConcurrent of the bulkhead', ['bulkhead'], (emit) =>
    each(({ runtime }) => {
      for (const [bulkhead, policy] of runtime.bulkheads) emit({ bulkhead }, policy.config.maxConcurrent);
    }),
  );
  counter('ballast_bulkhead_calls_total', 'Bulkhead admissions and rejections', ['bulkhead', 'outcome'], (emit) =>
    each(({ runtime }) => {
      for (const [bulkhead, { stats }] of runtime.bulkheads) {
        emit({ bulkhead, outcome: 'admitted' }, stats.admitted);
        emit({ bulkhead, outcome: 'rejected_queue_full' }, stats.rejectedQueueFull);
        emit({ bulkhead, outcome: 'rejected_queue_timeout' }, stats.rejectedQueueTimeout);
      }
    }),
  );
  counter(
    'ballast_fallback_calls_total',
    'Fallbacks run, by whether the fallback itself succeeded',
    ['fallback', 'outcome'],
    (emit) =>
      each(({ runtime }) => {
        for (const [fallback, { stats }] of runtime.fallbacks) {
          emit({ fallback, outcome: 'success' }, stats.succeeded);
          emit({ fallback, outcome: 'failure' }, stats.failed);
        }
      }),
  );
  counter('ballast_dead_letters_total', 'Records sent to a dead-letter queue', ['queue'], (emit) =>
    each(({ runtime }) => {
      for (const queue of runtime.deadLetters.known()) emit({ queue: queue.name }, queue.stats.sent);
    }),
  );
  counter('ballast_dead_letter_send_failures_total', 'Records the dead-letter store refused', ['queue'], (emit) =>
    each(({ runtime }) => {
      for (const queue of runtime.deadLetters.known()) emit({ queue: queue.name }, queue.stats.sendFailures);
    }),
  );
  counter('ballast_dead_letter_replays_total', 'Replayed letters by outcome', ['queue', 'outcome'], (emit) =>
    each(({ runtime }) => {
      for (const queue of runtime.deadLetters.known()) {
        emit({ queue: queue.name, outcome: 'success' }, queue.stats.replaySucceeded);
        emit({ queue: queue.name, outcome: 'failure' }, queue.stats.replayFailed);
      }
    }),
  );
  gauge('ballast_dead_letters_size', 'Letters in the queue when last counted', ['queue'], (emit) =>
    each(({ runtime }) => {
      for (const queue of runtime.deadLetters.known()) emit({ queue: queue.name }, queue.stats.size);
    }),
  );
  counter('ballast_circuit_breaker_shared_state_messages_total', 'Shared-state messages', ['direction'], (emit) =>
    each(({ sharedState }) => {
      if (!sharedState) return;
      emit({ direction: 'published' }, sharedState.stats.published);
      emit({ direction: 'publish_failed' }, sharedState.stats.publishFailures);
      emit({ direction: 'received' }, sharedState.stats.received);
      emit({ direction: 'applied' }, sharedState.stats.applied);
      emit({ direction: 'invalid' }, sharedState.stats.invalid);
    }),
  );
  histogramOf(registry, {
    name: 'ballast_circuit_breaker_shared_state_lag_seconds',
    help: "Time from a remote breaker message's sending to its being applied here (sender's clock to ours)",
    labelNames: [],
    buckets: [...SHARED_STATE_LAG_BUCKETS_SECONDS],
    collect(this: Histogram) {
      this.reset();
      const series = (this as unknown as { hashMap: Record<string, unknown> }).hashMap;
      const bucketValues: Record<number, number> = {};
      let count = 0;
      let sum = 0;
      for (const { sharedState } of sources) {
        if (!sharedState) continue;
        const s = sharedState.stats;
        SHARED_STATE_LAG_BUCKETS_SECONDS.forEach(
          (bound, i) => (bucketValues[bound] = (bucketValues[bound] ?? 0) + s.lagCounts[i]!),
        );
        count += s.lagCount;
        sum += s.lagSumSeconds;
      }
      if (count > 0) series[''] = { labels: {}, bucketValues, sum, count };
    },
  });
  gauge('ballast_circuit_breaker_shared_state_connected', '1 while both shared-state connections are up', [], (emit) =>
    each(({ sharedState }) => {
      if (sharedState) emit({}, sharedState.connected ? 1 : 0);
    }),
  );
}

/** Adds this app's runtime to the metrics of the app registry (and removes it on shutdown). */
@Injectable()
export class ResilienceMetrics implements OnModuleInit, OnApplicationShutdown {
  private readonly source: Source;

  constructor(
    private readonly runtime: ResilienceRuntime,
    @Optional() @InjectMetricsRegistry() private readonly registry?: MetricsRegistry,
  ) {
    this.source = { runtime };
  }

  /** Called by the module when shared state starts, so its counters are exported too. */
  attachSharedState(sharedState: Source['sharedState']): void {
    this.source.sharedState = sharedState;
  }

  onModuleInit(): void {
    if (this.registry === undefined) return;
    let sources = sourcesByRegistry.get(this.registry);
    if (sources === undefined) {
      sources = new Set();
      sourcesByRegistry.set(this.registry, sources);
      registerFamilies(this.registry, sources);
    }
    sources.add(this.source);
  }

  onApplicationShutdown(): void {
    if (this.registry !== undefined) sourcesByRegistry.get(this.registry)?.delete(this.source);
  }
}

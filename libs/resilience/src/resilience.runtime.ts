import { BallastOptionsError, mergeOptions, parseOptions } from '@ballast/core';
import type { z } from 'zod';

import type { Breaker } from './breaker/breaker.js';
import { breakerConfigProblems, breakerFields, type BreakerConfig } from './breaker/breaker.options.js';
import { BreakerRegistry, type BreakerRequest } from './breaker/breaker.registry.js';
import { RotationClock } from './breaker/rotation-clock.js';
import { bulkheadFields, type BulkheadConfig, type BulkheadOptions } from './bulkhead/bulkhead.options.js';
import { BulkheadPolicy } from './bulkhead/bulkhead.policy.js';
import type { DeadLetterStore } from './dead-letter/dead-letter.interfaces.js';
import { DeadLetterService } from './dead-letter/dead-letter.service.js';
import { MemoryDeadLetterStore } from './dead-letter/stores/memory-dead-letter.store.js';
import { PostgresDeadLetterStore } from './dead-letter/stores/postgres-dead-letter.store.js';
import { RedisDeadLetterStore } from './dead-letter/stores/redis-dead-letter.store.js';
import type { ErrorMatcher } from './errors/error-matchers.js';
import { FallbackPolicy } from './fallback/fallback.policy.js';
import { overridesOf } from './policies/option-fields.js';
import { ResilienceEvents, type BreakerStateEvent } from './resilience.events.js';
import { resilienceOptions, type ResilienceModuleOptions, type ResilienceOptions } from './resilience.options.js';
import { retryFields, type RetryConfig, type RetryOptions } from './retry/retry.options.js';
import { RetryPolicy } from './retry/retry.policy.js';
import { TimerWheel } from './timeout/timer-wheel.js';
import { timeoutFields } from './timeout/timeout.options.js';
import { TimeoutPolicy } from './timeout/timeout.policy.js';

/** Overrides for a retry/timeout/bulkhead policy, optionally starting from a named profile. */
export type RetryRequest = RetryOptions & { readonly profile?: string };
export type TimeoutRequest = { readonly timeoutMs?: number; readonly profile?: string };
export type BulkheadRequest = BulkheadOptions & { readonly profile?: string };

type ProfileSection = 'breaker' | 'retry' | 'timeout' | 'bulkhead';

const SCHEMAS = {
  breaker: overridesOf(breakerFields),
  retry: overridesOf(retryFields),
  timeout: overridesOf(timeoutFields),
  bulkhead: overridesOf(bulkheadFields),
} satisfies Record<ProfileSection, z.ZodType>;

/**
 * Everything the module runs on, without Nest: the timer wheel, the rotation clock, the registries
 * of breakers and policies, the events and the dead-letter service. The module creates one and
 * closes it on shutdown; decorators reach it through `ResilienceHolder`; code outside Nest can
 * create its own with `ResilienceRuntime.create(options)`.
 */
export class ResilienceRuntime {
  readonly events = new ResilienceEvents();
  readonly clock = (): number => performance.now();
  readonly wheel: TimerWheel;
  readonly rotation: RotationClock;
  readonly breakers: BreakerRegistry;
  readonly retries = new Map<string, RetryPolicy>();
  readonly timeouts = new Map<string, TimeoutPolicy>();
  readonly bulkheads = new Map<string, BulkheadPolicy>();
  readonly fallbacks = new Map<string, FallbackPolicy>();
  readonly deadLetters: DeadLetterService;
  private readonly transitionListeners = new Set<(breaker: Breaker, event: BreakerStateEvent) => void>();
  private closed = false;

  /** Validates `options` (with defaults) and builds a runtime; `init()` it before use of remote stores. */
  static create(options: ResilienceModuleOptions = {}): ResilienceRuntime {
    return new ResilienceRuntime(resilienceOptions.parse(options));
  }

  constructor(
    readonly options: ResilienceOptions,
    store?: DeadLetterStore,
  ) {
    this.wheel = new TimerWheel(options.timeout.resolutionMs, this.clock);
    this.rotation = new RotationClock(options.engine.bucketMs);
    this.breakers = new BreakerRegistry(
      {
        clock: this.clock,
        wheel: this.wheel,
        rotation: this.rotation,
        engineBuckets: options.engine.buckets,
        events: this.events,
        transitioned: (breaker, event) => {
          for (const listener of this.transitionListeners) listener(breaker, event);
        },
      },
      (name, request) => this.resolveBreaker(name, request),
      options.keyed.maxKeys,
    );
    this.deadLetters = new DeadLetterService(store ?? this.createStore(), options.deadLetter, this.events);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Opens the dead-letter store (creates its table, pings its server). */
  async init(): Promise<void> {
    await this.deadLetters.store.init();
  }

  /** Called on every breaker transition (shared state listens here); returns the unsubscribe function. */
  onTransition(listener: (breaker: Breaker, event: BreakerStateEvent) => void): () => void {
    this.transitionListeners.add(listener);
    return () => this.transitionListeners.delete(listener);
  }

  breaker(name: string, request?: BreakerRequest): Breaker {
    return this.breakers.get(name, request);
  }

  retry(name: string, request?: RetryRequest): RetryPolicy {
    let policy = this.retries.get(name);
    if (policy === undefined) {
      policy = new RetryPolicy(name, this.resolve('retry', name, request) as RetryConfig, this.events);
      this.retries.set(name, policy);
    }
    return policy;
  }

  timeout(name: string, request?: TimeoutRequest): TimeoutPolicy {
    let policy = this.timeouts.get(name);
    if (policy === undefined) {
      const { timeoutMs } = this.resolve('timeout', name, request) as { timeoutMs: number };
      policy = new TimeoutPolicy(name, timeoutMs, this.wheel, this.events);
      this.timeouts.set(name, policy);
    }
    return policy;
  }

  bulkhead(name: string, request?: BulkheadRequest): BulkheadPolicy {
    let policy = this.bulkheads.get(name);
    if (policy === undefined) {
      const config = this.resolve('bulkhead', name, request) as BulkheadConfig;
      policy = new BulkheadPolicy(name, config, this.wheel, this.events, this.clock);
      this.bulkheads.set(name, policy);
    }
    return policy;
  }

  fallback(name: string, on?: readonly ErrorMatcher[]): FallbackPolicy {
    let policy = this.fallbacks.get(name);
    if (policy === undefined) {
      policy = new FallbackPolicy(name, on, this.events);
      this.fallbacks.set(name, policy);
    }
    return policy;
  }

  /** Defaults, then the profile (named in the request, or named like the breaker), then the overrides. */
  resolveBreaker(name: string, request?: BreakerRequest): BreakerConfig {
    const config = this.resolve('breaker', name, request) as BreakerConfig;
    const problems = breakerConfigProblems(config, `breaker "${name}"`);
    if (problems.length > 0) {
      const lines = problems.map((p) => `${p.path}: ${p.message}`);
      throw new BallastOptionsError(`ResilienceModule: invalid options\n  - ${lines.join('\n  - ')}`, {
        module: 'ResilienceModule',
        problems: lines,
      });
    }
    return config;
  }

  /**
   * Shuts every breaker down (they leave the rotation clock, their timers are cleared), rejects
   * queued bulkhead calls, expires pending deadlines so nothing hangs, and closes the store.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.breakers.shutdown();
    for (const bulkhead of this.bulkheads.values()) bulkhead.shutdown();
    for (const retry of this.retries.values()) retry.shutdown();
    this.wheel.close();
    this.rotation.stop();
    this.transitionListeners.clear();
    await this.deadLetters.store.close();
  }

  private resolve(section: ProfileSection, name: string, request: { profile?: string } | undefined): object {
    const { profile: profileName, ...overrides } = request ?? {};
    const profile = this.options.profiles[profileName ?? name];
    if (profileName !== undefined && profile === undefined) {
      const known = Object.keys(this.options.profiles);
      throw new BallastOptionsError(
        `ResilienceModule: ${section} "${name}" asks for profile "${profileName}", which is not defined; profiles: ${known.join(', ') || 'none'}`,
        { module: 'ResilienceModule', profile: profileName },
      );
    }
    const checked = parseOptions(`ResilienceModule ${section} "${name}"`, SCHEMAS[section], overrides) as object;
    const defaults = section === 'timeout' ? { timeoutMs: this.options.timeout.timeoutMs } : this.options[section];
    return mergeOptions(mergeOptions(defaults, profile?.[section] ?? {}), checked);
  }

  private createStore(): DeadLetterStore {
    const { store, maxEntries, postgres, redis } = this.options.deadLetter;
    switch (store) {
      case 'memory':
        return new MemoryDeadLetterStore(maxEntries);
      case 'postgres':
        return new PostgresDeadLetterStore({
          dataSource: postgres.dataSource,
          url: postgres.url,
          table: postgres.table,
          createTable: postgres.createTable,
        });
      case 'redis':
        return new RedisDeadLetterStore({
          client: redis.client,
          url: redis.url,
          keyPrefix: redis.keyPrefix,
          maxEntries,
        });
    }
  }
}

import { Breaker, type BreakerHost } from './breaker.js';
import type { BreakerConfig, BreakerOptions } from './breaker.options.js';
import { KeyedBreakers } from './keyed-breakers.js';

/**
 * Statistics buckets of each per-key engine. opossum's buckets are most of a breaker's memory and
 * our decisions do not read them, so a key keeps two (the last two rotation periods) instead of ten.
 */
const KEYED_ENGINE_BUCKETS = 2;

/** Overrides for one breaker: a profile to start from, then individual settings. */
export interface BreakerRequest extends BreakerOptions {
  /** Named profile (module option `profiles`) to use instead of the one named like the breaker. */
  readonly profile?: string;
}

export interface KeyedBreakerRequest extends BreakerRequest {
  /** Keys kept before the least recently used is evicted (module option `keyed.maxKeys`). */
  readonly maxKeys?: number;
}

/** Turns a name and overrides into a validated config: defaults, then the profile, then the overrides. */
export type BreakerConfigResolver = (name: string, request?: BreakerRequest) => BreakerConfig;

/**
 * The named breakers of the app. `get(name)` returns the same breaker for the same name, created on
 * first use from the module defaults, the profile of that name (if any) and the given overrides;
 * overrides passed after creation are ignored, so the first caller decides.
 */
export class BreakerRegistry {
  private readonly breakers = new Map<string, Breaker>();
  private readonly groups = new Map<string, KeyedBreakers>();
  private closed = false;

  constructor(
    private readonly host: BreakerHost,
    private readonly resolveConfig: BreakerConfigResolver,
    private readonly defaultMaxKeys: number,
  ) {}

  get(name: string, request?: BreakerRequest): Breaker {
    const existing = this.breakers.get(name);
    if (existing !== undefined) return existing;
    this.assertOpen();
    if (this.groups.has(name)) throw new Error(`"${name}" is already the name of a keyed breaker group`);
    const breaker = new Breaker(name, this.resolveConfig(name, request), this.host);
    this.breakers.set(name, breaker);
    return breaker;
  }

  /** A group of per-key breakers sharing one name and configuration. */
  keyed(name: string, request?: KeyedBreakerRequest): KeyedBreakers {
    const existing = this.groups.get(name);
    if (existing !== undefined) return existing;
    this.assertOpen();
    if (this.breakers.has(name)) throw new Error(`"${name}" is already the name of a breaker`);
    const { maxKeys, ...rest } = request ?? {};
    const max = maxKeys ?? this.defaultMaxKeys;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxKeys of "${name}" must be an integer >= 1`);
    const host = { ...this.host, engineBuckets: Math.min(this.host.engineBuckets, KEYED_ENGINE_BUCKETS) };
    const group = new KeyedBreakers(name, this.resolveConfig(name, rest), host, max);
    this.groups.set(name, group);
    return group;
  }

  find(name: string): Breaker | undefined {
    return this.breakers.get(name);
  }

  findKeyed(name: string): KeyedBreakers | undefined {
    return this.groups.get(name);
  }

  list(): Breaker[] {
    return [...this.breakers.values()];
  }

  listKeyed(): KeyedBreakers[] {
    return [...this.groups.values()];
  }

  /** Shuts every breaker down: engines detach from the rotation clock and clear their timers. */
  shutdown(): void {
    this.closed = true;
    for (const breaker of this.breakers.values()) breaker.shutdown();
    for (const group of this.groups.values()) group.shutdown();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The breaker registry is shut down (the module was closed)');
  }
}

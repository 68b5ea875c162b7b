import type { Protected } from '../interfaces/call-context.interface.js';
import { Breaker, type BreakerExecuteOptions, type BreakerHost, type BreakerSnapshot } from './breaker.js';
import type { BreakerConfig } from './breaker.options.js';
import { BreakerStats } from './breaker.stats.js';

/**
 * One breaker per key (tenant, host, endpoint) under one name and one configuration, held in a
 * least-recently-used map of at most `maxKeys`. The breaker of an evicted key is shut down, which
 * detaches it from the rotation clock and clears any timer it held, so memory stays bounded and no
 * timer is left behind however many keys come and go. All keys count into one set of statistics
 * (one metrics series per group, not per key).
 */
export class KeyedBreakers {
  readonly stats = new BreakerStats();
  private readonly breakers = new Map<string, Breaker>();
  private newest: string | undefined;
  private closed = false;
  /** Keys dropped to stay within maxKeys. */
  evictions = 0;

  constructor(
    readonly name: string,
    readonly config: BreakerConfig,
    private readonly host: BreakerHost,
    readonly maxKeys: number,
  ) {}

  get size(): number {
    return this.breakers.size;
  }

  /** The breaker of `key`, created on first use; marks the key as recently used. */
  get(key: string): Breaker {
    const breakers = this.breakers;
    let breaker = breakers.get(key);
    if (breaker !== undefined) {
      if (this.newest !== key) {
        breakers.delete(key);
        breakers.set(key, breaker);
        this.newest = key;
      }
      return breaker;
    }
    if (this.closed) throw new Error(`Keyed breakers "${this.name}" are shut down`);
    breaker = new Breaker(this.name, this.config, this.host, this.stats, key);
    breakers.set(key, breaker);
    this.newest = key;
    if (breakers.size > this.maxKeys) this.evictOldest();
    return breaker;
  }

  /** The breaker of `key` if it exists, without creating it or refreshing its place. */
  peek(key: string): Breaker | undefined {
    return this.breakers.get(key);
  }

  execute<T>(key: string, fn: Protected<T>, options?: BreakerExecuteOptions): Promise<T> {
    return this.get(key).execute(fn, options);
  }

  keys(): IterableIterator<string> {
    return this.breakers.keys();
  }

  /** Keys whose breaker is not closed, with their snapshots (open ones are what an operator wants to see). */
  notClosed(): BreakerSnapshot[] {
    const out: BreakerSnapshot[] = [];
    for (const breaker of this.breakers.values()) {
      if (breaker.state !== 'closed') out.push(breaker.snapshot());
    }
    return out;
  }

  delete(key: string): boolean {
    const breaker = this.breakers.get(key);
    if (breaker === undefined) return false;
    this.breakers.delete(key);
    if (this.newest === key) this.newest = undefined;
    breaker.shutdown();
    return true;
  }

  shutdown(): void {
    this.closed = true;
    for (const breaker of this.breakers.values()) breaker.shutdown();
    this.breakers.clear();
    this.newest = undefined;
  }

  private evictOldest(): void {
    const oldest = this.breakers.keys().next();
    if (oldest.done) return;
    this.delete(oldest.value);
    this.evictions++;
  }
}

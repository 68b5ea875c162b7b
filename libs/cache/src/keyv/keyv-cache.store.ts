import { EventEmitter } from 'node:events';

import { Keyv, type KeyvOptions, type KeyvStoreAdapter, type StoredData } from 'keyv';

import type { AsyncTTLCache } from '../async-ttl-cache.js';

/** What Keyv hands a store when serialisation is off: the value and its absolute expiry. */
interface KeyvRecord {
  value: unknown;
  expires?: number | null;
}

function isKeyvRecord(value: unknown): value is KeyvRecord {
  return typeof value === 'object' && value !== null && 'value' in value && 'expires' in value;
}

/**
 * An `AsyncTTLCache` as a Keyv store, so `cache-manager` 7 (and through it @nestjs/cache-manager's
 * `CacheInterceptor`, `@CacheKey`, `@CacheTTL`) run on our bounds, TTL purge and eviction policy.
 *
 * With Keyv's serialisation off (what `createKeyv` sets up) values are stored as they are, under
 * the same keys, so the native API and cache-manager see the same entries; with it on, the store
 * keeps Keyv's strings. One store serves one of the two modes.
 *
 * @example
 * const cacheManager = createCache({ stores: [createKeyv(cache)] });
 */
export class KeyvCacheStore extends EventEmitter implements KeyvStoreAdapter {
  /** Keyv reads `opts` to decide on iteration; this store does not offer Keyv iteration. */
  readonly opts = { dialect: 'ballast-async-ttl-cache', url: '' };
  namespace?: string;
  private serialized: boolean | undefined;

  constructor(readonly cache: AsyncTTLCache<unknown>) {
    super();
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    const entry = this.cache.peekEntry(key);
    if (entry === undefined) return undefined;
    if (this.serialized) return entry.value as StoredData<Value>;
    return {
      value: entry.value as Value,
      expires: Number.isFinite(entry.expiresAt) ? entry.expiresAt : undefined,
    };
  }

  async getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>> {
    return Promise.all(keys.map((key) => this.get<Value>(key)));
  }

  /** `ttl` in milliseconds as Keyv passes it; without one the cache's default TTL applies. */
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    const record = isKeyvRecord(value);
    this.serialized ??= !record;
    const stored = record ? value.value : value;
    const ttlMs = typeof ttl === 'number' && ttl > 0 ? Math.ceil(ttl) : undefined;
    await this.cache.set(key, stored, ttlMs === undefined ? undefined : { ttlMs });
    return true;
  }

  async setMany(entries: Array<{ key: string; value: unknown; ttl?: number }>): Promise<void> {
    for (const { key, value, ttl } of entries) await this.set(key, value, ttl);
  }

  async has(key: string): Promise<boolean> {
    return this.cache.has(key);
  }

  async hasMany(keys: string[]): Promise<boolean[]> {
    return Promise.all(keys.map((key) => this.cache.has(key)));
  }

  async delete(key: string): Promise<boolean> {
    return this.cache.delete(key);
  }

  async deleteMany(keys: string[]): Promise<boolean> {
    const results = await Promise.all(keys.map((key) => this.cache.delete(key)));
    return results.some(Boolean);
  }

  /** Clears the Keyv namespace when there is one, else the whole cache. */
  async clear(): Promise<void> {
    if (this.namespace) await this.cache.invalidatePrefix(`${this.namespace}:`);
    else await this.cache.clear();
  }

  /** The cache belongs to whoever created it (the module closes its own): nothing to do. */
  async disconnect(): Promise<void> {}
}

/**
 * A Keyv over the cache with serialisation and key prefixing off, so values keep their identity
 * (no JSON per hit, no 733-byte Keyv records) and keys are the cache's own.
 */
export function createKeyv<V = unknown>(
  cache: AsyncTTLCache<unknown>,
  options: Omit<KeyvOptions, 'store'> = {},
): Keyv<V> {
  return new Keyv<V>({
    store: new KeyvCacheStore(cache),
    serialize: undefined,
    deserialize: undefined,
    namespace: undefined,
    useKeyPrefix: false,
    ...options,
  });
}

import { defineOptions, type OptionCheckProblem } from '@ballast/core';
import type { Redis } from 'ioredis';
import { z } from 'zod';

/** 100 MB: the default byte bound of every cache. */
export const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;

const ttl = z.number().int().min(0).max(2_147_483_647);
const maxEntries = z.number().int().min(1).max(50_000_000);
const maxBytes = z
  .number()
  .int()
  .min(1)
  .max(2 ** 46);
const numShards = z.number().int().min(1).max(256);
const cleanupInterval = z.number().int().min(10).max(86_400_000);
const policy = z.enum(['s3-fifo', 'lru']);
const sizeOf = z.custom<(value: unknown, key: string) => number>(
  (value) => typeof value === 'function',
  'must be a function (value, key) => bytes',
);
const redisClient = z.custom<Redis>(
  (value) => typeof value === 'object' && value !== null && typeof (value as Redis).duplicate === 'function',
  'must be an ioredis client',
);
const cacheName = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Settings of one named cache; whatever is left out comes from the module's top-level settings. */
export const namedCacheSchema = z.strictObject({
  ttlMs: ttl.optional(),
  maxEntries: maxEntries.optional(),
  maxBytes: maxBytes.optional(),
  numShards: numShards.optional(),
  cleanupIntervalMs: cleanupInterval.optional(),
  policy: policy.optional(),
  staleWhileRevalidateMs: ttl.optional(),
  /** Share this cache through the module's Redis L2 (needs `l2.enabled`). */
  l2: z.boolean().optional(),
  sizeOf: sizeOf.optional(),
});
export type NamedCacheOptions = z.input<typeof namedCacheSchema>;

/** Every option of `CacheModule`, with its default and environment variable. TTLs are milliseconds. */
export const cacheOptions = defineOptions(
  'CacheModule',
  {
    ttlMs: {
      schema: ttl.default(300_000),
      env: 'ASYNC_CACHE_TTL',
      description: 'Default time to live of an entry, in milliseconds; 0 keeps entries until evicted.',
    },
    maxEntries: {
      schema: maxEntries.default(100_000),
      env: 'ASYNC_CACHE_MAX_ENTRIES',
      description: 'Most entries a cache holds; never exceeded.',
    },
    maxBytes: {
      schema: maxBytes.default(DEFAULT_MAX_BYTES),
      env: 'ASYNC_CACHE_MAX_BYTES',
      description: 'Most bytes a cache holds (estimated heap of keys, values and bookkeeping); never exceeded.',
    },
    numShards: {
      schema: numShards.optional(),
      env: 'ASYNC_CACHE_NUM_SHARDS',
      description:
        'Independent segments; the background purge handles one per tick. Default 8, or maxEntries when that is smaller.',
    },
    cleanupIntervalMs: {
      schema: cleanupInterval.default(30_000),
      env: 'ASYNC_CACHE_CLEANUP_INTERVAL',
      description: 'Time for the background purge to pass over every shard once, in milliseconds.',
    },
    policy: {
      schema: policy.default('s3-fifo'),
      env: 'ASYNC_CACHE_POLICY',
      description: 'Eviction policy: s3-fifo (beats LRU on skewed and scan-mixed traffic) or lru.',
    },
    staleWhileRevalidateMs: {
      schema: ttl.default(0),
      env: 'ASYNC_CACHE_STALE_WHILE_REVALIDATE',
      description: 'How long after its TTL `wrap` still serves an entry at once while one refresh runs, in ms.',
    },
    sizeOf: {
      schema: sizeOf.optional(),
      description: 'Bytes an entry counts against maxBytes; replaces the built-in structural estimate.',
    },
    caches: {
      schema: z
        .record(z.string().regex(cacheName, 'cache names are 1-64 of A-Z a-z 0-9 _ . : -'), namedCacheSchema)
        .default({}),
      description: 'Named caches, each with its own TTL, bounds and policy: { tickets: { ttlMs: 10000 } }.',
    },
    l2: {
      enabled: {
        schema: z.boolean().default(false),
        env: 'ASYNC_CACHE_L2_ENABLED',
        description: 'Share caches through Redis (caches opt out with l2: false).',
      },
      url: {
        schema: z
          .string()
          .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
          .optional(),
        env: 'ASYNC_CACHE_REDIS_URL',
        secret: true,
        description: 'Redis for the L2 tier and its invalidation channel (or pass `client`).',
      },
      client: {
        schema: redisClient.optional(),
        description: "An ioredis client of the app's own; the module duplicates it and closes only its copies.",
      },
      keyPrefix: {
        schema: z.string().max(128).default('ballast:cache:'),
        env: 'ASYNC_CACHE_L2_PREFIX',
        description: 'Prefix of every L2 key (followed by the cache name).',
      },
      channel: {
        schema: z.string().min(1).max(128).default('ballast:cache:invalidate'),
        env: 'ASYNC_CACHE_L2_CHANNEL',
        description: 'Pub/sub channel on which instances tell each other what to drop.',
      },
      commandTimeoutMs: {
        schema: z.number().int().min(1).max(60_000).default(25),
        env: 'ASYNC_CACHE_L2_COMMAND_TIMEOUT',
        description: 'Longest an L2 command may take before the cache answers from L1 or the loader, in ms.',
      },
      connectTimeoutMs: {
        schema: z.number().int().min(10).max(60_000).default(1_000),
        env: 'ASYNC_CACHE_L2_CONNECT_TIMEOUT',
        description: 'Connection timeout of the L2 clients, in milliseconds.',
      },
      maxReconnectDelayMs: {
        schema: z.number().int().min(10).max(60_000).default(50),
        env: 'ASYNC_CACHE_L2_MAX_RECONNECT_DELAY',
        description: 'Longest wait between reconnection attempts (jittered), bounding recovery after an outage.',
      },
      readYourWrites: {
        schema: z.boolean().default(false),
        env: 'ASYNC_CACHE_L2_READ_YOUR_WRITES',
        description:
          'A set, delete or invalidation resolves only once every other instance has dropped the key from its L1 (or ackTimeoutMs passed).',
      },
      ackTimeoutMs: {
        schema: z.number().int().min(1).max(10_000).default(250),
        env: 'ASYNC_CACHE_L2_ACK_TIMEOUT',
        description:
          'With readYourWrites, longest a write waits for the other instances to acknowledge its invalidation, in ms.',
      },
      degradedTtlMs: {
        schema: z.number().int().min(0).max(3_600_000).default(1_000),
        env: 'ASYNC_CACHE_L2_DEGRADED_TTL',
        description: 'TTL cap of L1 entries while the invalidation link is down (missed invalidations age out).',
      },
    },
  },
  {
    check: (options) => {
      const problems: OptionCheckProblem[] = [];
      const settings = [
        ['', options] as const,
        ...Object.entries(options.caches).map(([n, c]) => [`caches.${n}.`, c] as const),
      ];
      for (const [path, cache] of settings) {
        const entries = cache.maxEntries ?? options.maxEntries;
        const shards = cache.numShards ?? options.numShards;
        // Only a shard count the user chose can be too large: the default is capped at maxEntries.
        if (shards !== undefined && shards > entries) {
          problems.push({ path: `${path}numShards`, message: `must not exceed maxEntries (${entries})` });
        }
      }
      if (options.l2.enabled && !options.l2.url && !options.l2.client) {
        problems.push({ path: 'l2.url', message: 'is required when l2.enabled is true (or pass l2.client)' });
      }
      for (const [name, cache] of Object.entries(options.caches)) {
        if (cache.l2 && !options.l2.enabled) {
          problems.push({ path: `caches.${name}.l2`, message: 'needs l2.enabled (and l2.url) at module level' });
        }
      }
      return problems;
    },
  },
);

/** What `CacheModule.forRoot()` accepts: every option may be left out. */
export type CacheModuleOptions = z.input<typeof cacheOptions.schema>;
/** Validated module options with defaults filled in. */
export type ResolvedCacheModuleOptions = z.output<typeof cacheOptions.schema>;

import { defineOptions } from '@ballast/core';
import { z } from 'zod';

const ms = (max: number) => z.number().int().min(0).max(max);
const positiveMs = (max: number) => z.number().int().min(1).max(max);
const size = z.number().int().min(0).max(10_000);
const poolName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, "_", "." or "-"');

/** Settings every pool of one kind shares unless the pool sets its own. */
const sharedPoolFields = {
  minSize: size.optional(),
  maxSize: z.number().int().min(1).max(10_000).optional(),
  acquireTimeoutMs: positiveMs(600_000).optional(),
  connectTimeoutMs: positiveMs(600_000).optional(),
  idleTimeoutMs: ms(86_400_000).optional(),
  maxLifetimeMs: ms(86_400_000).optional(),
  healthCheckIntervalMs: ms(86_400_000).optional(),
  leakDetectionMs: ms(86_400_000).optional(),
  maxWaiters: z.number().int().min(0).max(1_000_000).optional(),
};

const databasePoolSchema = z.strictObject({
  /** postgres://user:password@host:port/db — or `connection` for the fields one by one. */
  url: z.string().min(1).optional(),
  connection: z.record(z.string(), z.unknown()).optional(),
  /**
   * `typeorm`: Ballast creates and owns a TypeORM DataSource on this pool. `pg`: only a pg.Pool
   * (BallastPgPool). `external`: the app builds its DataSource (e.g. with @nestjs/typeorm) with
   * `driver: pools.pgDriver(name)`; Ballast pings, measures and drains it.
   */
  use: z.enum(['typeorm', 'pg', 'external']).default('typeorm'),
  /** Extra TypeORM DataSource options: entities, migrations, synchronize, logging... */
  typeorm: z.record(z.string(), z.unknown()).optional(),
  applicationName: z.string().min(1).max(63).optional(),
  ...sharedPoolFields,
  validateAfterIdleMs: ms(86_400_000).optional(),
  queryTimeoutMs: ms(86_400_000).optional(),
  analyticsQueryTimeoutMs: positiveMs(86_400_000).optional(),
  /** Readiness fails (503) while this database is down. True by default: the primary store is critical. */
  critical: z.boolean().optional(),
});

const redisClientSchema = z.strictObject({
  url: z.string().min(1).optional(),
  /** Raw ioredis options, merged under Ballast's (retryStrategy, commandTimeout, offline queue). */
  options: z.record(z.string(), z.unknown()).optional(),
  ...sharedPoolFields,
  commandTimeoutMs: positiveMs(600_000).optional(),
  reconnectInitialMs: positiveMs(60_000).optional(),
  reconnectMaxMs: positiveMs(600_000).optional(),
  enableOfflineQueue: z.boolean().optional(),
  /** `used_memory` above this makes the health check degraded. */
  memoryThresholdBytes: z.number().int().min(1).optional(),
  /**
   * Readiness fails (503) while this Redis is down. False by default: Ballast uses Redis for a
   * cache's L2, shared breaker state and dead letters, each with a fallback, so an outage is
   * `degraded` (200). Set true when the app cannot serve without it.
   */
  critical: z.boolean().optional(),
});

const httpPoolSchema = z.strictObject({
  /** scheme://host:port the pool talks to. */
  origin: z.url({ protocol: /^https?$/ }),
  maxSize: z.number().int().min(1).max(10_000).optional(),
  connectTimeoutMs: positiveMs(600_000).optional(),
  idleTimeoutMs: positiveMs(86_400_000).optional(),
  maxLifetimeMs: positiveMs(86_400_000).optional(),
  healthCheckIntervalMs: ms(86_400_000).optional(),
  headersTimeoutMs: ms(86_400_000).optional(),
  bodyTimeoutMs: ms(86_400_000).optional(),
  pipelining: z.number().int().min(0).max(100).optional(),
  /** GET this path as the upstream's health check (2xx/3xx = up); no check when unset. */
  healthPath: z.string().startsWith('/').optional(),
  /**
   * Readiness fails (503) while this upstream is down. False by default: an upstream is called
   * behind a breaker and a fallback, and its outage must not take every replica out of the balancer.
   */
  critical: z.boolean().optional(),
});

export type DatabasePoolOptions = z.input<typeof databasePoolSchema>;
export type RedisClientOptions = z.input<typeof redisClientSchema>;
export type HttpPoolOptions = z.input<typeof httpPoolSchema>;

/**
 * Every option of `PoolModule`. `databases`, `redis` and `http` name the pools; `defaults.*` is what
 * every pool of that kind starts from (and what the environment sets); a pool's own fields win.
 */
export const poolOptions = defineOptions(
  'PoolModule',
  {
    databases: {
      schema: z.record(poolName, databasePoolSchema).default({}),
      description: 'Named database pools: { main: { url, typeorm: { entities } } }.',
    },
    redis: {
      schema: z.record(poolName, redisClientSchema).default({}),
      description: 'Named Redis clients: { cache: { url } }.',
    },
    http: {
      schema: z.record(poolName, httpPoolSchema).default({}),
      description: 'Named HTTP pools, one origin each: { upstream: { origin } }.',
    },
    defaults: {
      database: {
        minSize: { schema: size.default(2), env: 'DB_POOL_MIN_SIZE', description: 'Connections kept open when idle.' },
        maxSize: {
          schema: z.number().int().min(1).max(10_000).default(10),
          env: 'DB_POOL_MAX_SIZE',
          description: 'Connections open at most, per pool and per instance.',
        },
        acquireTimeoutMs: {
          schema: positiveMs(600_000).default(1_000),
          env: 'DB_POOL_ACQUIRE_TIMEOUT',
          description:
            'How long a caller waits for a free connection before PoolExhaustedError (ms); sized for a web request, see docs/pool.md.',
        },
        maxWaiters: {
          schema: z.number().int().min(0).max(1_000_000).default(200),
          env: 'DB_POOL_MAX_WAITERS',
          description:
            'Callers allowed to wait for a connection at once; past it acquire fails at once (PoolQueueFullError).',
        },
        connectTimeoutMs: {
          schema: positiveMs(600_000).default(10_000),
          env: 'DB_POOL_CONNECT_TIMEOUT',
          description: 'How long opening one connection may take (ms).',
        },
        idleTimeoutMs: {
          schema: ms(86_400_000).default(600_000),
          env: 'DB_POOL_IDLE_TIMEOUT',
          description: 'An idle connection above the minimum is closed after this long (ms); 0 never.',
        },
        maxLifetimeMs: {
          schema: ms(86_400_000).default(1_800_000),
          env: 'DB_POOL_MAX_LIFETIME',
          description: 'A connection is replaced at this age, minus up to 2.5% jitter (ms); 0 never.',
        },
        healthCheckIntervalMs: {
          schema: ms(86_400_000).default(30_000),
          env: 'DB_POOL_HEALTH_CHECK_INTERVAL',
          description: 'Idle connections unchecked for this long are pinged in the background (ms); 0 off.',
        },
        validateAfterIdleMs: {
          schema: ms(86_400_000).default(500),
          env: 'DB_POOL_VALIDATE_AFTER_IDLE',
          description: 'A connection idle longer than this is pinged before it is lent (ms).',
        },
        leakDetectionMs: {
          schema: ms(86_400_000).default(0),
          env: 'DB_POOL_LEAK_DETECTION',
          description: "A connection held longer than this is logged with its holder's stack (ms); 0 off.",
        },
        queryTimeoutMs: {
          schema: ms(86_400_000).default(10_000),
          env: 'DEFAULT_QUERY_TIMEOUT_MS',
          description: 'Server-side statement_timeout of every connection (ms); 0 none.',
        },
        analyticsQueryTimeoutMs: {
          schema: positiveMs(86_400_000).default(5_000),
          env: 'ANALYTICS_QUERY_TIMEOUT_MS',
          description: 'Budget of DatabasePool.analytics() queries (ms).',
        },
      },
      redis: {
        minSize: {
          schema: size.default(0),
          env: 'REDIS_POOL_MIN_SIZE',
          description: 'Dedicated connections for blocking commands kept open when idle.',
        },
        maxSize: {
          schema: z.number().int().min(1).max(10_000).default(4),
          env: 'REDIS_POOL_MAX_SIZE',
          description: 'Dedicated connections for blocking commands (BLPOP, XREAD BLOCK...) at most.',
        },
        acquireTimeoutMs: {
          schema: positiveMs(600_000).default(1_000),
          env: 'REDIS_POOL_ACQUIRE_TIMEOUT',
          description: 'How long a caller waits for a dedicated connection (ms).',
        },
        maxWaiters: {
          schema: z.number().int().min(0).max(1_000_000).default(50),
          env: 'REDIS_POOL_MAX_WAITERS',
          description: 'Callers allowed to wait for a dedicated connection at once; past it acquire fails at once.',
        },
        connectTimeoutMs: {
          schema: positiveMs(600_000).default(5_000),
          env: 'REDIS_POOL_CONNECT_TIMEOUT',
          description: 'How long opening a Redis connection may take (ms).',
        },
        idleTimeoutMs: {
          schema: ms(86_400_000).default(60_000),
          env: 'REDIS_POOL_IDLE_TIMEOUT',
          description: 'An idle dedicated connection above the minimum is closed after this long (ms).',
        },
        maxLifetimeMs: {
          schema: ms(86_400_000).default(1_800_000),
          env: 'REDIS_POOL_MAX_LIFETIME',
          description: 'A dedicated connection is replaced at this age (ms); 0 never.',
        },
        healthCheckIntervalMs: {
          schema: ms(86_400_000).default(30_000),
          env: 'REDIS_POOL_HEALTH_CHECK_INTERVAL',
          description: 'Idle dedicated connections unchecked for this long are pinged (ms); 0 off.',
        },
        leakDetectionMs: {
          schema: ms(86_400_000).default(0),
          env: 'REDIS_POOL_LEAK_DETECTION',
          description: 'A dedicated connection held longer than this is logged with its holder (ms); 0 off.',
        },
        commandTimeoutMs: {
          schema: positiveMs(600_000).default(2_000),
          env: 'REDIS_COMMAND_TIMEOUT',
          description: 'A command without a reply after this long fails (ms); not applied to blocking connections.',
        },
        reconnectInitialMs: {
          schema: positiveMs(60_000).default(100),
          env: 'REDIS_RECONNECT_INITIAL_DELAY',
          description: 'First pause before reconnecting; doubles, with jitter, per attempt (ms).',
        },
        reconnectMaxMs: {
          schema: positiveMs(600_000).default(5_000),
          env: 'REDIS_RECONNECT_MAX_DELAY',
          description: 'Longest pause between reconnect attempts (ms).',
        },
        enableOfflineQueue: {
          schema: z.boolean().default(false),
          env: 'REDIS_OFFLINE_QUEUE',
          description: 'Queue commands while disconnected; off so an outage fails fast instead of hanging.',
        },
      },
      http: {
        maxSize: {
          schema: z.number().int().min(1).max(10_000).default(10),
          env: 'HTTP_POOL_MAX_SIZE',
          description: 'Sockets per upstream origin at most.',
        },
        connectTimeoutMs: {
          schema: positiveMs(600_000).default(5_000),
          env: 'HTTP_POOL_CONNECT_TIMEOUT',
          description: 'How long opening a socket (TCP + TLS) may take (ms).',
        },
        idleTimeoutMs: {
          schema: positiveMs(86_400_000).default(4_000),
          env: 'HTTP_POOL_IDLE_TIMEOUT',
          description: 'An idle keep-alive socket is closed after this long (ms).',
        },
        maxLifetimeMs: {
          schema: positiveMs(86_400_000).default(600_000),
          env: 'HTTP_POOL_MAX_LIFETIME',
          description: 'Longest keep-alive a server hint may extend a socket to (ms).',
        },
        healthCheckIntervalMs: {
          schema: ms(86_400_000).default(30_000),
          env: 'HTTP_POOL_HEALTH_CHECK_INTERVAL',
          description: "How long an upstream's health result is reused before it is asked again (ms).",
        },
        headersTimeoutMs: {
          schema: ms(86_400_000).default(10_000),
          env: 'HTTP_POOL_HEADERS_TIMEOUT',
          description: 'Time to the response headers (ms); 0 none.',
        },
        bodyTimeoutMs: {
          schema: ms(86_400_000).default(30_000),
          env: 'HTTP_POOL_BODY_TIMEOUT',
          description: 'Longest pause between two chunks of a response body (ms); 0 none.',
        },
        pipelining: {
          schema: z.number().int().min(0).max(100).default(1),
          env: 'HTTP_POOL_PIPELINING',
          description: 'Requests in flight per socket (1 = keep-alive without pipelining).',
        },
      },
    },
    health: {
      degradedUtilisation: {
        schema: z.number().min(0).max(1).default(0.9),
        env: 'POOL_HEALTH_DEGRADED_UTILISATION',
        description: 'Pools busier than this fraction of their maximum report degraded.',
      },
      persistentWaitersMs: {
        schema: ms(600_000).default(1_000),
        env: 'POOL_HEALTH_PERSISTENT_WAITERS',
        description: 'Callers waiting without a break for this long make the pool degraded (ms).',
      },
      timeoutMs: {
        schema: positiveMs(60_000).optional(),
        env: 'POOL_HEALTH_TIMEOUT',
        description: "Time a pool's health check may take; core's health.checkTimeoutMs when unset (ms).",
      },
    },
    startup: {
      retries: {
        schema: z.number().int().min(0).max(100).default(0),
        env: 'POOL_STARTUP_RETRIES',
        description: 'Start-up attempts after the first failed ping before start-up fails.',
      },
      retryDelayMs: {
        schema: positiveMs(600_000).default(1_000),
        env: 'POOL_STARTUP_RETRY_DELAY',
        description: 'First pause between start-up attempts; doubles with jitter (ms).',
      },
    },
    shutdown: {
      drainTimeoutMs: {
        schema: ms(600_000).default(10_000),
        env: 'POOL_SHUTDOWN_TIMEOUT',
        description: 'On shutdown, how long to wait for borrowed connections to come back (ms).',
      },
    },
    report: {
      sampleIntervalMs: {
        schema: positiveMs(3_600_000).default(10_000),
        env: 'POOL_REPORT_SAMPLE_INTERVAL',
        description: 'How often pools are sampled for the performance report (ms).',
      },
      windowMs: {
        schema: positiveMs(86_400_000).default(600_000),
        env: 'POOL_REPORT_WINDOW',
        description: 'Time the recommendations look back over (ms); shrinking needs this much idleness.',
      },
    },
    fleet: {
      instances: {
        schema: z.number().int().min(1).max(10_000).default(1),
        env: 'POOL_FLEET_INSTANCES',
        description:
          "Instances sharing each database and Redis server; a pool's max is capped at floor(server limit / instances) minus its connections outside the pool. Discovery can raise it, never lower it.",
      },
      discovery: {
        schema: z.boolean().default(true),
        env: 'POOL_FLEET_DISCOVERY',
        description:
          'With a Redis client configured, each instance announces itself in Redis per server it uses and counts the live ones.',
      },
      discoveryClient: {
        schema: poolName.optional(),
        env: 'POOL_FLEET_DISCOVERY_CLIENT',
        description: 'Redis client that discovery announces through; the first configured one when unset.',
      },
      heartbeatMs: {
        schema: z.number().int().min(100).max(600_000).default(5_000),
        env: 'POOL_FLEET_HEARTBEAT',
        description:
          'How often an instance renews its announcement (ms); one not renewed for 3 heartbeats no longer counts.',
      },
    },
  },
  {
    check(options) {
      const problems: { path: string; message: string }[] = [];
      const bounded = (path: string, min: number | undefined, max: number | undefined) => {
        if (min !== undefined && max !== undefined && min > max) {
          problems.push({ path: `${path}.minSize`, message: `must not exceed ${path}.maxSize (${max})` });
        }
      };
      const defaults = options.defaults;
      bounded('defaults.database', defaults.database.minSize, defaults.database.maxSize);
      bounded('defaults.redis', defaults.redis.minSize, defaults.redis.maxSize);
      for (const [name, db] of Object.entries(options.databases)) {
        if (!db.url && !db.connection) {
          problems.push({ path: `databases.${name}.url`, message: 'is required (or connection)' });
        }
        bounded(`databases.${name}`, db.minSize ?? defaults.database.minSize, db.maxSize ?? defaults.database.maxSize);
      }
      for (const [name, client] of Object.entries(options.redis)) {
        bounded(`redis.${name}`, client.minSize ?? defaults.redis.minSize, client.maxSize ?? defaults.redis.maxSize);
      }
      const client = options.fleet.discoveryClient;
      if (client !== undefined && !(client in options.redis)) {
        const known = Object.keys(options.redis);
        problems.push({
          path: 'fleet.discoveryClient',
          message: `names no configured Redis client (configured: ${known.length ? known.join(', ') : 'none'})`,
        });
      }
      return problems;
    },
  },
);

/** What `PoolModule.forRoot()` accepts: everything may be left out. */
export type PoolModuleOptions = z.input<typeof poolOptions.schema>;
/** Validated options with defaults filled in. */
export type ResolvedPoolModuleOptions = z.output<typeof poolOptions.schema>;
export type ResolvedDatabasePoolOptions = z.output<typeof databasePoolSchema>;
export type ResolvedRedisClientOptions = z.output<typeof redisClientSchema>;
export type ResolvedHttpPoolOptions = z.output<typeof httpPoolSchema>;

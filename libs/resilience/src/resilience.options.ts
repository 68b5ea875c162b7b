import { defineOptions, type OptionCheckProblem } from '@ballast/core';
import type { Redis } from 'ioredis';
import { z } from 'zod';

import { breakerConfigProblems, breakerFields, breakerOptionSpecs } from './breaker/breaker.options.js';
import { bulkheadFields, bulkheadOptionSpecs } from './bulkhead/bulkhead.options.js';
import { deadLetterOptionSpecs } from './dead-letter/dead-letter.options.js';
import { overridesOf, policyName } from './policies/option-fields.js';
import { retryFields, retryOptionSpecs } from './retry/retry.options.js';
import { timeoutFields, timeoutOptionSpecs } from './timeout/timeout.options.js';

/** A named set of overrides: `profiles: { payments: { breaker: { failureRateThreshold: 25 } } }`. */
export const profileSchema = z.strictObject({
  breaker: overridesOf(breakerFields).optional(),
  retry: overridesOf(retryFields).optional(),
  timeout: overridesOf(timeoutFields).optional(),
  bulkhead: overridesOf(bulkheadFields).optional(),
});

/** Profiles in code, or as JSON in RESILIENCE_PROFILES (numbers and names only, no functions). */
const profilesSchema = z.preprocess(
  (value) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value; // left for the record schema to reject with the option's name
    }
  },
  z.record(policyName(), profileSchema),
);

const redisClientSchema = z.custom<Redis>(
  (value) => typeof value === 'object' && value !== null && typeof (value as Redis).publish === 'function',
  'must be an ioredis client',
);

/** Every option of `ResilienceModule`, with its default and environment variable. */
export const resilienceOptions = defineOptions(
  'ResilienceModule',
  {
    breaker: breakerOptionSpecs,
    retry: retryOptionSpecs,
    timeout: timeoutOptionSpecs,
    bulkhead: bulkheadOptionSpecs,
    deadLetter: deadLetterOptionSpecs,
    profiles: {
      schema: profilesSchema.default({}),
      env: 'RESILIENCE_PROFILES',
      description:
        'Named overrides of breaker/retry/timeout/bulkhead settings; a breaker or policy named like a profile uses it. JSON in the environment.',
    },
    keyed: {
      maxKeys: {
        schema: z.number().int().min(1).max(10_000_000).default(10_000),
        env: 'RESILIENCE_KEYED_MAX_KEYS',
        description: 'Per-key breakers kept per group before the least recently used one is shut down and dropped.',
      },
    },
    engine: {
      bucketMs: {
        schema: z.number().int().min(10).max(60_000).default(1_000),
        env: 'RESILIENCE_ENGINE_BUCKET_MS',
        description: 'Period of the one shared timer that rotates the statistics buckets of every opossum engine.',
      },
      buckets: {
        schema: z.number().int().min(1).max(100).default(10),
        env: 'RESILIENCE_ENGINE_BUCKETS',
        description: "Buckets of each engine's rolling statistics (opossum stats; our decisions use our own window).",
      },
    },
    sharedState: {
      enabled: {
        schema: z.boolean().default(false),
        env: 'RESILIENCE_SHARED_STATE',
        description: 'Publish breaker transitions through Redis pub/sub and follow those of other instances.',
      },
      redisUrl: {
        schema: z.string().url().optional(),
        env: 'RESILIENCE_SHARED_STATE_REDIS_URL',
        secret: true,
        description: 'Redis for shared state when no client is given (two connections of ours: publish, subscribe).',
      },
      client: {
        schema: redisClientSchema.optional(),
        description: "The app's ioredis client: we publish on it and subscribe on a duplicate of it.",
      },
      channel: {
        schema: z.string().min(1).default('ballast:breakers'),
        env: 'RESILIENCE_SHARED_STATE_CHANNEL',
        description: 'Pub/sub channel; instances of one service must share it, different services should not.',
      },
      instanceId: {
        schema: z.string().min(1).max(200).optional(),
        env: 'RESILIENCE_INSTANCE_ID',
        description: 'Name of this instance in shared-state messages (default: hostname-pid-random).',
      },
    },
    health: {
      enabled: {
        schema: z.boolean().default(true),
        env: 'RESILIENCE_HEALTH_ENABLED',
        description: 'Register the breakers (and a remote dead-letter store) with the readiness check.',
      },
    },
  },
  {
    check: (options) => {
      const problems: OptionCheckProblem[] = [...breakerConfigProblems(options.breaker)];
      for (const [name, profile] of Object.entries(options.profiles)) {
        if (profile.breaker) {
          problems.push(
            ...breakerConfigProblems({ ...options.breaker, ...profile.breaker }, `profiles.${name}.breaker`),
          );
        }
      }
      const { store, postgres, redis } = options.deadLetter;
      if (store === 'postgres' && !postgres.url && !postgres.dataSource) {
        problems.push({
          path: 'deadLetter.postgres.url',
          message: 'or deadLetter.postgres.dataSource is required by store "postgres"',
        });
      }
      if (store === 'redis' && !redis.url && !redis.client) {
        problems.push({
          path: 'deadLetter.redis.url',
          message: 'or deadLetter.redis.client is required by store "redis"',
        });
      }
      const shared = options.sharedState;
      if (shared.enabled && !shared.redisUrl && !shared.client) {
        problems.push({
          path: 'sharedState.redisUrl',
          message: 'or sharedState.client is required when sharedState.enabled',
        });
      }
      return problems;
    },
  },
);

/** What `ResilienceModule.forRoot()` accepts: every option may be left out. */
export type ResilienceModuleOptions = z.input<typeof resilienceOptions.schema>;
/** Validated options with every default filled in. */
export type ResilienceOptions = z.output<typeof resilienceOptions.schema>;
export type ResilienceProfile = z.output<typeof profileSchema>;

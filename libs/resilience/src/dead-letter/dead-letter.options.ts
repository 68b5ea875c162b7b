import type { OptionSpecTree } from '@ballast/core';
import type { Redis } from 'ioredis';
import { z } from 'zod';

import { count, durationMs } from '../policies/option-fields.js';
import type { DeadLetterDataSource } from './dead-letter-data-source.interface.js';

const dataSourceSchema = z.custom<DeadLetterDataSource>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as DeadLetterDataSource).createQueryRunner === 'function',
  'must be a TypeORM DataSource',
);

const redisClientSchema = z.custom<Redis>(
  (value) => typeof value === 'object' && value !== null && typeof (value as Redis).xadd === 'function',
  'must be an ioredis client',
);

const connectionUrl = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    `must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL`,
  );

export const deadLetterOptionSpecs = {
  store: {
    schema: z.enum(['memory', 'postgres', 'redis']).default('memory'),
    env: 'RESILIENCE_DEAD_LETTER_STORE',
    description: 'Where dead letters are kept: memory (bounded, lost on restart), postgres or redis (streams).',
  },
  maxEntries: {
    schema: count(1, 100_000_000).default(10_000),
    env: 'RESILIENCE_DEAD_LETTER_MAX_ENTRIES',
    description:
      'Letters kept per queue; memory drops the oldest at once, Redis trims with XADD MAXLEN ~, Postgres at each purge run.',
  },
  retentionMs: {
    schema: z
      .number()
      .int()
      .min(1_000)
      .default(7 * 24 * 3_600_000),
    env: 'RESILIENCE_DEAD_LETTER_RETENTION_MS',
    description: 'Letters older than this are deleted by the purge run.',
  },
  purgeIntervalMs: {
    schema: durationMs(0).default(3_600_000),
    env: 'RESILIENCE_DEAD_LETTER_PURGE_INTERVAL_MS',
    description: 'How often retention runs (through @nestjs/schedule when it is there); 0 turns it off.',
  },
  includeStack: {
    schema: z.boolean().default(true),
    env: 'RESILIENCE_DEAD_LETTER_INCLUDE_STACK',
    description: "Keep the error's stack (redacted) with each letter.",
  },
  postgres: {
    url: {
      schema: connectionUrl(['postgres:', 'postgresql:']).optional(),
      env: 'RESILIENCE_DEAD_LETTER_DATABASE_URL',
      secret: true,
      description: 'Database for the postgres store when no dataSource is given (a 2-connection DataSource of ours).',
    },
    dataSource: {
      schema: dataSourceSchema.optional(),
      description: "The app's initialized TypeORM DataSource (postgres); used as is, never closed by us.",
    },
    table: {
      schema: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/, 'must be [schema.]table')
        .default('ballast_dead_letters'),
      env: 'RESILIENCE_DEAD_LETTER_TABLE',
      description: 'Table of the postgres store.',
    },
    createTable: {
      schema: z.boolean().default(true),
      env: 'RESILIENCE_DEAD_LETTER_CREATE_TABLE',
      description: 'Create the table and its indexes at start-up when missing.',
    },
  },
  redis: {
    url: {
      schema: connectionUrl(['redis:', 'rediss:']).optional(),
      env: 'RESILIENCE_DEAD_LETTER_REDIS_URL',
      secret: true,
      description: 'Redis for the redis store when no client is given (a connection of ours).',
    },
    client: {
      schema: redisClientSchema.optional(),
      description: "The app's ioredis client; used as is, never closed by us.",
    },
    keyPrefix: {
      schema: z.string().min(1).default('ballast:dlq'),
      env: 'RESILIENCE_DEAD_LETTER_KEY_PREFIX',
      description: 'Streams are <prefix>:q:<queue>.',
    },
  },
} satisfies OptionSpecTree;

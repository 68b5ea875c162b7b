import { defineOptions } from '@ballast/core';
import { z } from 'zod';

import { EMBEDDED_DEFAULT_SHARED_BUFFERS_MB } from '../database/embedded-database.js';

/** The demo's own settings (each module documents its own). */
export const demoOptions = defineOptions('Demo', {
  port: {
    schema: z.number().int().min(0).max(65_535).default(3000),
    env: 'PORT',
    description: 'HTTP port of the demo (0 picks a free one).',
  },
  host: {
    schema: z.string().min(1).default('0.0.0.0'),
    env: 'HOST',
    description: 'Interface the demo listens on.',
  },
  databaseUrl: {
    schema: z.string().url().optional(),
    env: 'DATABASE_URL',
    secret: true,
    description: 'PostgreSQL for the tickets; when unset the demo starts an embedded one (PGlite) in-process.',
  },
  redisUrl: {
    schema: z.string().url().optional(),
    env: 'REDIS_URL',
    secret: true,
    description: 'Redis for the shared (L2) cache; when unset the cache runs in memory only.',
  },
  upstreamUrl: {
    schema: z.string().url().optional(),
    env: 'UPSTREAM_URL',
    description: 'The partner API the demo calls; when unset a stand-in runs on a loopback port.',
  },
  logLevel: {
    schema: z.enum(['fatal', 'error', 'warn', 'log', 'debug', 'verbose']).default('log'),
    env: 'LOG_LEVEL',
    description:
      'Most detailed level logged; "log" keeps one line per failure, "debug" adds stacks (a flood under load).',
  },
  embeddedPoolMaxSize: {
    schema: z.number().int().min(1).max(50).default(8),
    env: 'DEMO_EMBEDDED_POOL_MAX_SIZE',
    description: 'Pool size used with the embedded database (its socket server gets two connections more).',
  },
  embeddedSharedBuffersMb: {
    schema: z.number().int().min(1).max(1_024).default(EMBEDDED_DEFAULT_SHARED_BUFFERS_MB),
    env: 'DEMO_EMBEDDED_SHARED_BUFFERS_MB',
    description:
      "The embedded database's buffer pool (PostgreSQL shared_buffers) in MB; it lives in the process's memory (see docs/operations.md).",
  },
});

export type DemoOptions = ReturnType<typeof demoOptions.parse>;

const LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;

/** Nest's levels up to and including `level` (Nest's own default logs all of them, debug stacks included). */
export function logLevelsUpTo(level: DemoOptions['logLevel']): (typeof LEVELS)[number][] {
  return LEVELS.slice(0, LEVELS.indexOf(level) + 1);
}

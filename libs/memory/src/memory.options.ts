import { defineOptions } from '@ballast/core';
import { z } from 'zod';

const urlPath = z
  .string()
  .regex(/^\/[A-Za-z0-9/_.-]*$/, 'must be a URL path starting with "/" (letters, digits, / _ . -)');

/** Every option of `MemoryModule`, with its default and environment variable. */
export const memoryOptions = defineOptions(
  'MemoryModule',
  {
    maxMemoryMb: {
      schema: z.number().int().min(16).max(4_194_304).optional(),
      env: 'BALLAST_MEMORY_MAX_MB',
      description:
        'The process budget in MB; unset: the container limit (cgroup v2 memory.max or v1 limit_in_bytes), else the V8 heap limit.',
    },
    elevatedPercent: {
      schema: z.number().min(1).max(99).default(80),
      env: 'BALLAST_MEMORY_ELEVATED_PERCENT',
      description: 'Share of the budget where pressure becomes elevated: consumers are asked to shrink below it.',
    },
    criticalPercent: {
      schema: z.number().min(2).max(100).default(90),
      env: 'BALLAST_MEMORY_CRITICAL_PERCENT',
      description: 'Share of the budget where pressure becomes critical: reservations are refused and new work shed.',
    },
    hysteresisPercent: {
      schema: z.number().min(0).max(20).default(5),
      env: 'BALLAST_MEMORY_HYSTERESIS_PERCENT',
      description: 'Points of the budget usage must fall below a threshold before its level is left.',
    },
    sampleIntervalMs: {
      schema: z.number().int().min(50).max(60_000).default(1_000),
      env: 'BALLAST_MEMORY_SAMPLE_INTERVAL_MS',
      description: 'How often RSS, heap, external and array buffers are sampled (also after every major GC).',
    },
    sampleAfterGc: {
      schema: z.boolean().default(true),
      env: 'BALLAST_MEMORY_SAMPLE_AFTER_GC',
      description: 'Also sample right after each major (mark-sweep) GC, seen through PerformanceObserver.',
    },
    shedAtCritical: {
      schema: z.boolean().default(true),
      env: 'BALLAST_MEMORY_SHED_AT_CRITICAL',
      description: 'MemorySheddingGuard answers 503 + Retry-After for new requests while pressure is critical.',
    },
    shedExemptPaths: {
      schema: z.array(urlPath).default(['/health', '/metrics']),
      env: 'BALLAST_MEMORY_SHED_EXEMPT_PATHS',
      description: 'Path prefixes never shed at critical (probes, scrapes), comma-separated in the environment.',
    },
    retryAfterSeconds: {
      schema: z.number().int().min(1).max(3_600).default(2),
      env: 'BALLAST_MEMORY_RETRY_AFTER_SECONDS',
      description: 'Retry-After of a shed request and of a refused reservation, in seconds.',
    },
    readinessAtCritical: {
      schema: z.boolean().default(false),
      env: 'BALLAST_MEMORY_READINESS_AT_CRITICAL',
      description:
        'true: critical pressure fails readiness (503), so a load balancer routes elsewhere; false: it shows as degraded only.',
    },
    cgroupRoot: {
      schema: z.string().min(1).default('/sys/fs/cgroup'),
      description: 'Where the cgroup filesystem is mounted (tests point it at a directory of their own).',
    },
  },
  {
    check: (options) =>
      options.elevatedPercent < options.criticalPercent
        ? []
        : [{ path: 'elevatedPercent', message: `must be below criticalPercent (${options.criticalPercent})` }],
  },
);

/** What `MemoryModule.forRoot()` accepts: every option may be left out. */
export type MemoryModuleOptions = z.input<typeof memoryOptions.schema>;
/** Validated options with defaults filled in. */
export type MemoryOptions = z.output<typeof memoryOptions.schema>;

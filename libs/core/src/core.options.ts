import type { CanActivate, Type } from '@nestjs/common';
import { Registry } from 'prom-client';
import { z } from 'zod';

import { defineOptions } from './options/option-spec.js';

const urlPath = z
  .string()
  .regex(/^\/[A-Za-z0-9/_.-]*$/, 'must be a URL path starting with "/" (letters, digits, / _ . -)');

const guardSchema = z.custom<Type<CanActivate> | CanActivate>(
  (value) =>
    typeof value === 'function' ||
    (typeof value === 'object' && value !== null && typeof (value as CanActivate).canActivate === 'function'),
  'must be a CanActivate class or instance',
);

/** Every option of `BallastCoreModule`, with its default and environment variable. */
export const coreOptions = defineOptions(
  'BallastCoreModule',
  {
    metrics: {
      enabled: {
        schema: z.boolean().default(true),
        env: 'BALLAST_METRICS_ENABLED',
        description: 'Serve the Prometheus endpoint.',
      },
      path: {
        schema: urlPath.default('/metrics'),
        env: 'BALLAST_METRICS_PATH',
        description: 'Path of the Prometheus endpoint (not affected by the global prefix).',
      },
      defaultMetrics: {
        schema: z.boolean().default(true),
        env: 'BALLAST_DEFAULT_METRICS',
        description: "Collect prom-client's Node.js process metrics (CPU, memory, event loop, GC).",
      },
      prefix: {
        schema: z
          .string()
          .regex(/^([a-zA-Z_][a-zA-Z0-9_]*)?$/, 'must be empty or a Prometheus name prefix ([a-zA-Z_][a-zA-Z0-9_]*)')
          .default(''),
        env: 'BALLAST_METRICS_PREFIX',
        description: 'Prefix for the default Node.js metrics (Ballast metrics keep their own names).',
      },
      registry: {
        schema: z.instanceof(Registry).optional(),
        description:
          'An existing prom-client Registry to use (e.g. from @willsoto/nestjs-prometheus); a new one by default.',
      },
    },
    health: {
      checkTimeoutMs: {
        schema: z.number().int().min(1).max(60_000).default(1_000),
        env: 'BALLAST_HEALTH_CHECK_TIMEOUT_MS',
        description: 'Time a health check may take before it counts as down, in milliseconds.',
      },
    },
    performanceApi: {
      enabled: {
        schema: z.boolean().default(false),
        env: 'BALLAST_PERFORMANCE_API',
        description: 'Serve /api/performance/*. Off by default: it shows internals.',
      },
      adminToken: {
        schema: z.string().min(16, 'must be at least 16 characters').optional(),
        env: 'BALLAST_ADMIN_TOKEN',
        secret: true,
        description:
          'Bearer token required by the performance API. Without token or guard the API is open, and read-only (routes that change state answer 403).',
      },
      guard: {
        schema: guardSchema.optional(),
        description: "A guard of the app's own that protects the performance API instead of the token.",
      },
    },
    history: {
      intervalMs: {
        schema: z.number().int().min(1_000).max(600_000).default(5_000),
        env: 'BALLAST_HISTORY_INTERVAL_MS',
        description:
          'How often the performance report is sampled into the history the dashboard charts (while the performance API is on).',
      },
      retentionMs: {
        schema: z.number().int().min(60_000).max(86_400_000).default(900_000),
        env: 'BALLAST_HISTORY_RETENTION_MS',
        description: 'How far back the history reaches; the ring buffer holds retentionMs / intervalMs samples.',
      },
      maxSeries: {
        schema: z.number().int().min(16).max(4_096).default(512),
        env: 'BALLAST_HISTORY_MAX_SERIES',
        description: 'Most series the history keeps; further series are counted as dropped, never stored.',
      },
    },
    dashboard: {
      enabled: {
        schema: z.boolean().default(false),
        env: 'BALLAST_DASHBOARD',
        description:
          'Serve the live dashboard page at /api/performance/dashboard (charts over the history); needs performanceApi.enabled.',
      },
    },
    metricsReporter: {
      enabled: {
        schema: z.boolean().default(false),
        env: 'BALLAST_METRICS_REPORTER',
        description: 'Log one structured line of rates (pools, caches, breakers, models, leaks, RSS) every intervalMs.',
      },
      intervalMs: {
        schema: z.number().int().min(1_000).max(86_400_000).default(60_000),
        env: 'BALLAST_METRICS_REPORTER_INTERVAL_MS',
        description: 'Time between two lines of the metrics reporter, in milliseconds.',
      },
    },
    pagination: {
      defaultPageSize: {
        schema: z.number().int().min(1).max(10_000).default(20),
        env: 'DEFAULT_PAGE_SIZE',
        description: 'Page size when a list request gives none.',
      },
      maxPageSize: {
        schema: z.number().int().min(1).max(10_000).default(100),
        env: 'MAX_PAGE_SIZE',
        description: 'Largest page size a list request may ask for.',
      },
      overflow: {
        schema: z.enum(['reject', 'clamp']).default('reject'),
        env: 'PAGE_SIZE_OVERFLOW',
        description: 'What a size over the maximum gets: a 400 (reject) or the maximum (clamp).',
      },
    },
  },
  {
    check: (options) => [
      ...(options.pagination.defaultPageSize > options.pagination.maxPageSize
        ? [
            {
              path: 'pagination.defaultPageSize',
              message: `must not exceed pagination.maxPageSize (${options.pagination.maxPageSize})`,
            },
          ]
        : []),
      ...(options.history.retentionMs < options.history.intervalMs
        ? [
            {
              path: 'history.retentionMs',
              message: `must be at least history.intervalMs (${options.history.intervalMs})`,
            },
          ]
        : []),
      ...(options.dashboard.enabled && !options.performanceApi.enabled
        ? [
            {
              path: 'dashboard.enabled',
              message: 'needs performanceApi.enabled (the page reads the performance API); turn both on or neither',
            },
          ]
        : []),
    ],
  },
);

/** What `BallastCoreModule.forRoot()` accepts: every option may be left out. */
export type BallastCoreModuleOptions = z.input<typeof coreOptions.schema>;
/** Validated options with defaults filled in. */
export type BallastCoreOptions = z.output<typeof coreOptions.schema>;

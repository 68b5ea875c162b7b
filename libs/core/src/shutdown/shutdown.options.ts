import { z } from 'zod';

import { defineOptions } from '../options/option-spec.js';

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR2'] as const;

/**
 * Options of `enableGracefulShutdown()`. The defaults fit Kubernetes' 30 s
 * `terminationGracePeriodSeconds` with margin: pre-stop 0 + grace 10 s + close 10 s = 20 s.
 */
export const shutdownOptions = defineOptions(
  'GracefulShutdown',
  {
    signals: {
      schema: z.array(z.enum(SIGNALS)).min(1).default(['SIGTERM', 'SIGINT']),
      env: 'BALLAST_SHUTDOWN_SIGNALS',
      description: 'Signals that start the drain; a second one during the drain exits at once with code 1.',
    },
    preStopDelayMs: {
      schema: z.number().int().min(0).max(120_000).default(0),
      env: 'BALLAST_SHUTDOWN_PRE_STOP_DELAY_MS',
      description:
        'After the signal, keep serving (readiness already 503) this long before draining, so the load balancer stops sending first (Kubernetes: 5000-10000 unless a preStop hook sleeps).',
    },
    graceMs: {
      schema: z.number().int().min(0).max(600_000).default(10_000),
      env: 'BALLAST_SHUTDOWN_GRACE_MS',
      description:
        'How long requests in flight may take to finish once draining starts; then their connections are destroyed.',
    },
    closeTimeoutMs: {
      schema: z.number().int().min(100).max(600_000).default(10_000),
      env: 'BALLAST_SHUTDOWN_CLOSE_TIMEOUT_MS',
      description:
        'Bound on app.close() (shutdown hooks: pools, caches, breakers) after the drain; past it the process exits 1.',
    },
    readinessPaths: {
      schema: z
        .array(z.string().regex(/^\/[A-Za-z0-9/_.-]*$/, 'must be a URL path starting with "/"'))
        .default(['/health/ready']),
      env: 'BALLAST_SHUTDOWN_READINESS_PATHS',
      description: 'Paths answered 503 {"status":"shutting_down"} from the moment of the signal (comma-separated).',
    },
    exitProcess: {
      schema: z.boolean().default(true),
      env: 'BALLAST_SHUTDOWN_EXIT_PROCESS',
      description: 'Call process.exit() when done (0 after a clean close, 1 when the close timed out or failed).',
    },
  },
  {
    check: (options) =>
      options.preStopDelayMs + options.graceMs + options.closeTimeoutMs > 600_000
        ? [{ path: 'graceMs', message: 'preStopDelayMs + graceMs + closeTimeoutMs must not exceed 600000 ms' }]
        : [],
  },
);

/** What `enableGracefulShutdown()` accepts: every option may be left out. */
export type GracefulShutdownOptions = z.input<typeof shutdownOptions.schema>;
export type ResolvedGracefulShutdownOptions = z.output<typeof shutdownOptions.schema>;

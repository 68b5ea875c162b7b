import { z } from 'zod';

import { defineOptions } from '../options/option-spec.js';

const urlPath = z
  .string()
  .regex(/^\/[A-Za-z0-9/_.-]*$/, 'must be a URL path starting with "/" (letters, digits, / _ . -)');

/**
 * Options of `enableAdmissionControl()`. The defaults are explained in docs/core.md ("Admission
 * control"): a limit that starts at 100 concurrent requests and adapts between 20 (raised to what the
 * pools take at once) and 1000 by comparing each busy window's latency with the baseline learned
 * under load (Netflix concurrency-limits' Gradient2).
 */
export const admissionOptions = defineOptions(
  'AdmissionControl',
  {
    enabled: {
      schema: z.boolean().default(true),
      env: 'BALLAST_ADMISSION_ENABLED',
      description: 'Shed requests over the adaptive concurrency limit; false lets every request through.',
    },
    initialLimit: {
      schema: z.number().int().min(1).max(100_000).default(100),
      env: 'BALLAST_ADMISSION_INITIAL_LIMIT',
      description: 'Concurrent requests admitted before the first latency measurements.',
    },
    minLimit: {
      schema: z.number().int().min(1).max(100_000).default(20),
      env: 'BALLAST_ADMISSION_MIN_LIMIT',
      description: 'The limit never falls below this, however slow requests get (raised by floorFromPools).',
    },
    floorFromPools: {
      schema: z.boolean().default(true),
      env: 'BALLAST_ADMISSION_FLOOR_FROM_POOLS',
      description:
        "Raise minLimit (and initialLimit) to what the pools take at once: each database pool's maxSize + maxWaiters, summed (capped at maxLimit).",
    },
    maxLimit: {
      schema: z.number().int().min(1).max(100_000).default(1_000),
      env: 'BALLAST_ADMISSION_MAX_LIMIT',
      description: 'The limit never grows above this, however fast requests are.',
    },
    rttTolerance: {
      schema: z.number().min(1).max(10).default(2),
      env: 'BALLAST_ADMISSION_RTT_TOLERANCE',
      description: 'How many times the long-term latency a window may take before the limit shrinks.',
    },
    smoothing: {
      schema: z.number().gt(0).max(1).default(0.2),
      env: 'BALLAST_ADMISSION_SMOOTHING',
      description: 'Weight of each new estimate in the limit (0-1]; lower reacts slower and steadier.',
    },
    windowMs: {
      schema: z.number().int().min(1).max(60_000).default(100),
      env: 'BALLAST_ADMISSION_WINDOW_MS',
      description: 'Shortest measurement window; the limit is recomputed at most once per window.',
    },
    minWindowSamples: {
      schema: z.number().int().min(1).max(100_000).default(10),
      env: 'BALLAST_ADMISSION_MIN_WINDOW_SAMPLES',
      description: 'Completed requests a window needs before it counts.',
    },
    longWindow: {
      schema: z.number().int().min(2).max(100_000).default(3_000),
      env: 'BALLAST_ADMISSION_LONG_WINDOW',
      description: 'Windows the long-term latency baseline averages over (an exponential average).',
    },
    retryAfterSeconds: {
      schema: z.number().int().min(0).max(3_600).default(1),
      env: 'BALLAST_ADMISSION_RETRY_AFTER_SECONDS',
      description: 'Retry-After of a shed request, in seconds.',
    },
    exemptPaths: {
      schema: z.array(urlPath).default(['/health', '/metrics']),
      env: 'BALLAST_ADMISSION_EXEMPT_PATHS',
      description: 'Path prefixes never shed nor counted (probes, scrapes), comma-separated in the environment.',
    },
  },
  {
    check: (options) => {
      const problems = [];
      if (options.minLimit > options.maxLimit) {
        problems.push({ path: 'minLimit', message: `must not exceed maxLimit (${options.maxLimit})` });
      }
      if (options.initialLimit < options.minLimit || options.initialLimit > options.maxLimit) {
        problems.push({
          path: 'initialLimit',
          message: `must lie between minLimit (${options.minLimit}) and maxLimit (${options.maxLimit})`,
        });
      }
      return problems;
    },
  },
);

/** What `enableAdmissionControl()` accepts: every option may be left out. */
export type AdmissionControlOptions = z.input<typeof admissionOptions.schema>;
/** Validated options with defaults filled in. */
export type AdmissionControlConfig = z.output<typeof admissionOptions.schema>;

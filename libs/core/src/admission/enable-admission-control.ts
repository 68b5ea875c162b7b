import type { IncomingMessage, Server, ServerResponse } from 'node:http';

import type { INestApplication } from '@nestjs/common';

import { METRICS_REGISTRY } from '../core.constants.js';
import type { MetricsRegistry } from '../metrics/metric.helpers.js';
import { processEnv, type EnvSource } from '../options/option-spec.js';
import { mergeOptions } from '../options/env-options.js';
import { registerAdmissionMetrics } from './admission.metrics.js';
import { admissionOptions, type AdmissionControlConfig, type AdmissionControlOptions } from './admission.options.js';
import { GradientLimiter } from './gradient-limiter.js';

export interface AdmissionControl {
  readonly config: AdmissionControlConfig;
  readonly limiter: GradientLimiter;
  /** Puts the server's own request handling back (tests; an app never needs it). */
  disable(): void;
}

export interface EnableAdmissionControlExtras {
  /** Where `BALLAST_ADMISSION_*` are read (they override `options`); `process.env` by default. */
  readonly env?: EnvSource;
  /** The metrics registry; by default `BallastCoreModule`'s, and none when the app has no core module. */
  readonly registry?: MetricsRegistry;
  /** Clock for the limiter, in milliseconds (tests). */
  readonly now?: () => number;
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

function isExempt(url: string | undefined, prefixes: readonly string[]): boolean {
  if (!url) return false;
  for (const prefix of prefixes) {
    if (!url.startsWith(prefix)) continue;
    const next = url.charCodeAt(prefix.length);
    // "/health" covers "/health", "/health/ready" and "/health?x", not "/healthy".
    if (Number.isNaN(next) || next === 47 /* / */ || next === 63 /* ? */ || prefix.endsWith('/')) return true;
  }
  return false;
}

function metricsRegistryOf(app: INestApplication): MetricsRegistry | undefined {
  try {
    return app.get<MetricsRegistry>(METRICS_REGISTRY, { strict: false });
  } catch {
    return undefined; // an app without BallastCoreModule: no metrics, shedding still works
  }
}

/**
 * Sheds requests with 503 + Retry-After when more are in flight than the adaptive concurrency
 * limit allows, before Nest routes them: a shed request costs a few microseconds and never waits
 * in a pool queue. Call after `NestFactory.create()` and before `listen()`; works with the Express
 * and Fastify adapters alike, since it wraps the Node HTTP server's request listener.
 */
export function enableAdmissionControl(
  app: INestApplication,
  options: AdmissionControlOptions = {},
  extras: EnableAdmissionControlExtras = {},
): AdmissionControl {
  // As optionsFromEnv(): the code sets what the app needs, a deployment overrides it from the environment.
  const config = admissionOptions.parse(mergeOptions(options, admissionOptions.fromEnv(extras.env ?? processEnv)));
  const limiter = new GradientLimiter(config, extras.now);
  const server = app.getHttpServer() as Server;
  const original = server.listeners('request') as RequestListener[];
  if (!config.enabled) return { config, limiter, disable: () => undefined };

  const registry = extras.registry ?? metricsRegistryOf(app);
  const metrics = registry ? registerAdmissionMetrics(registry, limiter) : undefined;
  const body = JSON.stringify({
    statusCode: 503,
    error: 'Service Unavailable',
    code: 'shed',
    dependency: 'admission',
    message: 'The service is at its concurrency limit; retry shortly',
  });
  const shedHeaders = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'retry-after': String(config.retryAfterSeconds),
  };

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    for (const listener of original) listener.call(server, req, res);
  };
  const admit: RequestListener = (req, res) => {
    if (isExempt(req.url, config.exemptPaths)) return forward(req, res);
    const startedAt = limiter.tryAcquire();
    if (startedAt === undefined) {
      metrics?.shed();
      res.writeHead(503, shedHeaders);
      res.end(body);
      return;
    }
    // 'close' fires once per response, after 'finish' or on an abort; only a finished one is a sample.
    res.once('close', () => limiter.release(startedAt, res.writableFinished));
    forward(req, res);
  };

  for (const listener of original) server.removeListener('request', listener);
  server.on('request', admit);
  return {
    config,
    limiter,
    disable: () => {
      server.removeListener('request', admit);
      for (const listener of original) server.on('request', listener);
    },
  };
}

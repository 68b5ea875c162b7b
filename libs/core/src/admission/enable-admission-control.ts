import type { IncomingMessage, Server, ServerResponse } from 'node:http';

import type { INestApplication } from '@nestjs/common';

import { METRICS_REGISTRY } from '../core.constants.js';
import type { MetricsRegistry } from '../metrics/metric.helpers.js';
import { processEnv, type EnvSource } from '../options/option-spec.js';
import { mergeOptions } from '../options/env-options.js';
import { registerAdmissionMetrics } from './admission.metrics.js';
import { admissionOptions, type AdmissionControlConfig, type AdmissionControlOptions } from './admission.options.js';
import { GradientLimiter } from './gradient-limiter.js';
import { ServingCapacityRegistry } from './serving-capacity.registry.js';

export interface AdmissionControl {
  readonly config: AdmissionControlConfig;
  readonly limiter: GradientLimiter;
  /**
   * What the registered pools take at once (0 without any, or with `floorFromPools: false`); the
   * limiter's floor is `min(maxLimit, max(minLimit, servingCapacity))`.
   */
  readonly servingCapacity: number;
  /** Puts the server's own request handling back (tests; an app never needs it). */
  disable(): void;
}

export interface EnableAdmissionControlExtras {
  /** Where `BALLAST_ADMISSION_*` are read (they override `options`); `process.env` by default. */
  readonly env?: EnvSource;
  /** The metrics registry; by default `BallastCoreModule`'s, and none when the app has no core module. */
  readonly registry?: MetricsRegistry;
  /** Where pools declare their capacity; by default `BallastCoreModule`'s, and none without it. */
  readonly capacity?: ServingCapacityRegistry;
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

/** A provider of BallastCoreModule, or undefined in an app without it (shedding still works). */
function coreProviderOf<T>(
  app: INestApplication,
  token: symbol | (abstract new (...args: never[]) => T),
): T | undefined {
  try {
    return app.get<T>(token as symbol, { strict: false });
  } catch {
    return undefined;
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
  // The pools are open by now (NestFactory.create() ran every module's init): never shed below what
  // they would have queued and served anyway.
  const capacity = extras.capacity ?? coreProviderOf<ServingCapacityRegistry>(app, ServingCapacityRegistry);
  const servingCapacity = config.floorFromPools && capacity ? capacity.total() : 0;
  const minLimit = Math.min(config.maxLimit, Math.max(config.minLimit, servingCapacity));
  const initialLimit = Math.max(config.initialLimit, minLimit);
  const limiter = new GradientLimiter({ ...config, minLimit, initialLimit }, extras.now);
  const server = app.getHttpServer() as Server;
  const original = server.listeners('request') as RequestListener[];
  if (!config.enabled) return { config, limiter, servingCapacity, disable: () => undefined };

  const registry = extras.registry ?? coreProviderOf<MetricsRegistry>(app, METRICS_REGISTRY);
  const metrics = registry ? registerAdmissionMetrics(registry, limiter) : undefined;
  // Built once: a shed answer copies nothing, serialises nothing and validates no header object.
  const body = Buffer.from(
    JSON.stringify({
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'shed',
      dependency: 'admission',
      message: 'The service is at its concurrency limit; retry shortly',
    }),
  );
  const shedHeaders = [
    'content-type',
    'application/json; charset=utf-8',
    'content-length',
    String(body.length),
    'retry-after',
    String(config.retryAfterSeconds),
    'cache-control',
    'no-store',
  ];

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
    servingCapacity,
    disable: () => {
      server.removeListener('request', admit);
      for (const listener of original) server.on('request', listener);
    },
  };
}

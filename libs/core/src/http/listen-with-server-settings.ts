import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';

import type { INestApplication } from '@nestjs/common';

import { mergeOptions } from '../options/env-options.js';
import { processEnv, type EnvSource } from '../options/option-spec.js';
import { RedactingLogger } from '../redaction/redacting.logger.js';
import { httpServerOptions, type HttpServerSettings, type ResolvedHttpServerSettings } from './http-server.options.js';

/** The kernel's cap on any listen backlog, or undefined where it cannot be read (not Linux). */
function somaxconn(): number | undefined {
  try {
    const value = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim());
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Sets the keep-alive, headers and request timeouts on `server` (before it listens). */
export function applyServerSettings(server: Server, settings: ResolvedHttpServerSettings): void {
  server.keepAliveTimeout = settings.keepAliveTimeoutMs;
  server.headersTimeout = settings.headersTimeoutMs;
  server.requestTimeout = settings.requestTimeoutMs;
}

/**
 * `app.listen(port, host)` with production values for the HTTP server: keep-alive 65 s, headers
 * 66 s, request 120 s, listen backlog 4096 (each overridable in `settings` or through
 * `BALLAST_HTTP_*`, which win). Works with the Express and the Fastify adapter. Resolves to the
 * listening Node server.
 */
export async function listenWithServerSettings(
  app: INestApplication,
  port: number | string,
  host?: string,
  settings: HttpServerSettings = {},
  env: EnvSource = processEnv,
): Promise<Server> {
  const resolved = httpServerOptions.parse(mergeOptions(settings, httpServerOptions.fromEnv(env)));
  const server = app.getHttpServer() as Server;
  applyServerSettings(server, resolved);
  const cap = somaxconn();
  if (cap !== undefined && cap < resolved.backlog) {
    new RedactingLogger('HttpServer').warn(
      `Listen backlog ${resolved.backlog} is capped by the kernel at net.core.somaxconn = ${cap}; raise it (sysctl) for bursts of connects`,
    );
  }
  // Both adapters hand an options object to server.listen(); only the object form carries a backlog.
  const listenOptions = { port: Number(port), ...(host === undefined ? {} : { host }), backlog: resolved.backlog };
  await app.listen(listenOptions as unknown as number);
  return server;
}

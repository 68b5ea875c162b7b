import { z } from 'zod';

import { defineOptions } from '../options/option-spec.js';

/**
 * Production values for the Node HTTP server under the app (see docs/operations.md, "HTTP server
 * settings", for the reasoning). Node's own defaults are keep-alive 5 s, headers 60 s, request
 * 300 s, backlog 511.
 */
export const httpServerOptions = defineOptions(
  'HttpServer',
  {
    keepAliveTimeoutMs: {
      schema: z.number().int().min(0).max(600_000).default(65_000),
      env: 'BALLAST_HTTP_KEEP_ALIVE_TIMEOUT_MS',
      description:
        'How long an idle kept-alive connection stays open. Longer than the load balancer idle timeout (60 s on AWS ALB, GCP, nginx 75 s: raise it there), so the balancer, not us, closes idle connections and never sends on one we just closed.',
    },
    headersTimeoutMs: {
      schema: z.number().int().min(1).max(600_000).default(66_000),
      env: 'BALLAST_HTTP_HEADERS_TIMEOUT_MS',
      description:
        'Time a client has to send the request headers. Above keepAliveTimeoutMs, so it never fires before the keep-alive timeout on a reused connection.',
    },
    requestTimeoutMs: {
      schema: z.number().int().min(0).max(3_600_000).default(120_000),
      env: 'BALLAST_HTTP_REQUEST_TIMEOUT_MS',
      description:
        'Time a client has to send the whole request (slow uploads, slowloris); Node requires it >= headersTimeoutMs; 0 turns it off.',
    },
    backlog: {
      schema: z.number().int().min(1).max(65_535).default(4_096),
      env: 'BALLAST_HTTP_BACKLOG',
      description:
        'Listen backlog: connections the kernel queues before accept(). Node defaults to 511; the kernel caps it at net.core.somaxconn.',
    },
  },
  {
    check: (o) => [
      ...(o.headersTimeoutMs <= o.keepAliveTimeoutMs
        ? [{ path: 'headersTimeoutMs', message: `must exceed keepAliveTimeoutMs (${o.keepAliveTimeoutMs})` }]
        : []),
      ...(o.requestTimeoutMs !== 0 && o.requestTimeoutMs < o.headersTimeoutMs
        ? [{ path: 'requestTimeoutMs', message: `must be 0 or >= headersTimeoutMs (${o.headersTimeoutMs})` }]
        : []),
    ],
  },
);

export type HttpServerSettings = z.input<typeof httpServerOptions.schema>;
export type ResolvedHttpServerSettings = z.output<typeof httpServerOptions.schema>;

import { Catch, HttpStatus, type ArgumentsHost, type HttpServer } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';

import { RedactingLogger } from '../redaction/redacting.logger.js';
import { redactString } from '../redaction/redact.js';
import { httpMeaningOf, type HttpMeaning } from './http-meaning.js';

const ERROR_NAMES: Record<HttpMeaning['status'], string> = { 503: 'Service Unavailable', 504: 'Gateway Timeout' };

/** Node's codes for a connection that broke or could not be made: the peer, not the request, failed. */
const CONNECTION_LOST_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * The HTTP meaning of `error`, of an error it wraps (`cause`, TypeORM's `driverError`), or 504 for
 * a platform timeout (`AbortSignal.timeout()` rejects with a DOMException named TimeoutError).
 */
export function resolveHttpMeaning(error: unknown): HttpMeaning | undefined {
  let current: unknown = error;
  let connectionLost = false;
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth++) {
    const meaning = httpMeaningOf(current);
    if (meaning) return meaning;
    const next = current as { cause?: unknown; driverError?: unknown; code?: unknown };
    if (typeof next.code === 'string' && CONNECTION_LOST_CODES.has(next.code)) connectionLost = true;
    current = next.cause ?? next.driverError;
  }
  // A query or call whose connection dropped under it (a database cut mid-query: TypeORM's
  // QueryFailedError over pg's "write ECONNRESET"): the dependency failed, not the request.
  if (connectionLost) return { status: 503, code: 'connection_lost', dependency: 'connection', retryAfterMs: 1_000 };
  if ((error as { name?: unknown } | null)?.name === 'TimeoutError') {
    return { status: 504, code: 'timeout', dependency: 'call' };
  }
  return undefined;
}

/** `Retry-After` in whole seconds, at least 1 (0 would invite an immediate retry storm). */
export function retryAfterSeconds(retryAfterMs: number | undefined): number | undefined {
  return retryAfterMs === undefined ? undefined : Math.max(1, Math.ceil(retryAfterMs / 1000));
}

/**
 * Maps errors that declare core's HTTP meaning (pool exhausted or unavailable, breaker open,
 * bulkhead full, shed, timeout — from any Ballast library or the app's own) to 503/504 with
 * `Retry-After` and a short JSON body that names the dependency and nothing secret:
 *
 *     { "statusCode": 503, "error": "Service Unavailable", "code": "breaker_open",
 *       "dependency": "breaker:upstream", "retryAfterSeconds": 3 }
 *
 * Everything else goes to Nest's own handling (HttpException as is, unknown errors 500). One warn
 * line per mapped failure; its stack, when it has one, at debug.
 *
 * @example app.useGlobalFilters(new BallastExceptionFilter(app.getHttpAdapter()));
 */
@Catch()
export class BallastExceptionFilter extends BaseExceptionFilter {
  private readonly logger = new RedactingLogger('BallastExceptionFilter');

  constructor(applicationRef?: HttpServer) {
    super(applicationRef);
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    const meaning = host.getType() === 'http' ? resolveHttpMeaning(exception) : undefined;
    if (meaning === undefined) return super.catch(exception, host);

    const adapter = (this.applicationRef ?? this.httpAdapterHost?.httpAdapter) as HttpServer;
    const http = host.switchToHttp();
    const request = http.getRequest<{ method?: string; url?: string; originalUrl?: string }>();
    const response = http.getResponse<unknown>();
    const retryAfter = retryAfterSeconds(meaning.retryAfterMs);
    const body = {
      statusCode: meaning.status,
      error: ERROR_NAMES[meaning.status] ?? HttpStatus[meaning.status],
      code: meaning.code,
      dependency: meaning.dependency,
      ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }),
    };
    const path = (request?.originalUrl ?? request?.url ?? '').split('?')[0];
    const message = redactString(String((exception as Error)?.message ?? exception));
    this.logger.warn(
      `${meaning.status} ${meaning.code} (${meaning.dependency}) on ${request?.method ?? '?'} ${path}: ${message}`,
    );
    const stack = (exception as Error)?.stack;
    if (typeof stack === 'string' && stack.includes('\n')) this.logger.debug(redactString(stack));

    if (adapter.isHeadersSent(response)) {
      adapter.end(response);
      return;
    }
    if (retryAfter !== undefined) adapter.setHeader(response, 'Retry-After', String(retryAfter));
    adapter.reply(response, body, meaning.status);
  }
}

import { BallastError, HTTP_MEANING, type HasHttpMeaning, type HttpMeaning } from '@ballast/core';

/** The numbers a pool error carries, so the message alone says what state the pool was in. */
export interface PoolErrorNumbers {
  readonly pool: string;
  readonly kind: string;
  /** Resources alive (idle + used + being validated). */
  readonly size: number;
  readonly max: number;
  readonly used: number;
  readonly idle: number;
  /** Callers waiting for a resource, this one excluded. */
  readonly pending: number;
  readonly creating: number;
  readonly waitedMs?: number;
  readonly acquireTimeoutMs?: number;
  /** Message of the last failed create, redacted. */
  readonly lastCreateError?: string;
  /** When the pool expects to be able to serve again (its create backoff), for `Retry-After`. */
  readonly retryAfterMs?: number;
}

/**
 * A caller refused for local load (a full pool, a full queue) may retry about one second later: by
 * then the leases of the requests in front of it have come back. Below that, a `Retry-After: 0`
 * invites an immediate stampede.
 */
const LOAD_RETRY_AFTER_MS = 1_000;

/** Each number once: the message is what a log line shows, `details` is for structured output. */
function describeNumbers(n: PoolErrorNumbers): string {
  const parts = [`size ${n.size}/${n.max}`, `used ${n.used}`, `idle ${n.idle}`, `pending ${n.pending}`];
  if (n.creating > 0) parts.push(`creating ${n.creating}`);
  if (n.waitedMs !== undefined) parts.push(`waited ${Math.round(n.waitedMs)} ms`);
  if (n.lastCreateError) parts.push(`last create error: ${n.lastCreateError}`);
  return parts.join(', ');
}

/** `database:main`, `redis:cache`: what could not serve, never its address or credentials. */
function dependencyOf(n: PoolErrorNumbers): string {
  return `${n.kind}:${n.pool}`;
}

function unavailableMeaning(code: string, n: PoolErrorNumbers, floorMs = 0): HttpMeaning {
  return {
    status: 503,
    code,
    dependency: dependencyOf(n),
    retryAfterMs: Math.max(floorMs, n.retryAfterMs ?? 0) || LOAD_RETRY_AFTER_MS,
  };
}

/** No resource could be had within the acquire timeout. HTTP: 503 `pool_exhausted`. */
export class PoolExhaustedError extends BallastError implements HasHttpMeaning {
  readonly numbers: PoolErrorNumbers;

  constructor(reason: string, numbers: PoolErrorNumbers, options?: ErrorOptions) {
    super(`Pool "${numbers.pool}" exhausted: ${reason} (${describeNumbers(numbers)})`, { ...numbers }, options);
    this.numbers = numbers;
  }

  [HTTP_MEANING](): HttpMeaning {
    return unavailableMeaning(this.httpCode, this.numbers, LOAD_RETRY_AFTER_MS);
  }

  /** The reason code of the HTTP answer; subclasses name their own. */
  protected get httpCode(): string {
    return 'pool_exhausted';
  }
}

/**
 * `maxWaiters` callers already wait: refused at once, without joining the queue. A subclass of
 * {@link PoolExhaustedError}, so code that caught that before still does. HTTP: 503 `pool_queue_full`.
 */
export class PoolQueueFullError extends PoolExhaustedError {
  constructor(maxWaiters: number, numbers: PoolErrorNumbers) {
    super(`${maxWaiters} callers already waiting (maxWaiters), refused without waiting`, numbers);
  }

  protected override get httpCode(): string {
    return 'pool_queue_full';
  }
}

/** The pool is draining or closed and takes no new acquires. HTTP: 503 `pool_closed`. */
export class PoolClosedError extends BallastError implements HasHttpMeaning {
  readonly numbers: PoolErrorNumbers;

  constructor(state: 'draining' | 'closed', numbers: PoolErrorNumbers) {
    super(`Pool "${numbers.pool}" is ${state} and takes no new acquires (${describeNumbers(numbers)})`, {
      ...numbers,
      state,
    });
    this.numbers = numbers;
  }

  [HTTP_MEANING](): HttpMeaning {
    return unavailableMeaning('pool_closed', this.numbers, LOAD_RETRY_AFTER_MS);
  }
}

/**
 * Creating a resource failed (or took longer than the connect timeout); `cause` is the factory's
 * error. HTTP: 503 `pool_unavailable`, retry after the pool's create backoff.
 */
export class PoolCreateError extends BallastError implements HasHttpMeaning {
  readonly numbers: PoolErrorNumbers;

  constructor(reason: string, numbers: PoolErrorNumbers, options?: ErrorOptions) {
    super(
      `Pool "${numbers.pool}" could not create a resource: ${reason} (${describeNumbers(numbers)})`,
      { ...numbers },
      options,
    );
    this.numbers = numbers;
  }

  [HTTP_MEANING](): HttpMeaning {
    return unavailableMeaning('pool_unavailable', this.numbers);
  }
}

/**
 * The pool cannot create resources (its last create failed and it is backing off) and holds none
 * that could be returned: `acquire()` fails at once instead of waiting out its timeout. `cause` is
 * the last create error; the message carries it redacted, once. A subclass of
 * {@link PoolCreateError}. HTTP: 503 `pool_unavailable`, `Retry-After` from the backoff.
 */
export class PoolUnavailableError extends PoolCreateError {
  constructor(failures: number, numbers: PoolErrorNumbers, options?: ErrorOptions) {
    super(`unavailable after ${failures} failed attempt(s) in a row, failing fast`, numbers, options);
  }
}

/**
 * A query ran past its budget (server-side `statement_timeout` or the client-side deadline).
 * HTTP: 504 `query_timeout`.
 */
export class QueryTimeoutError extends BallastError implements HasHttpMeaning {
  constructor(
    readonly budgetMs: number,
    readonly pool: string,
    options?: ErrorOptions & { elapsedMs?: number; side?: 'server' | 'client' },
  ) {
    const elapsed = options?.elapsedMs === undefined ? '' : ` after ${Math.round(options.elapsedMs)} ms`;
    super(
      `Query on pool "${pool}" exceeded its ${budgetMs} ms budget${elapsed} (${options?.side === 'client' ? 'client-side deadline' : 'statement_timeout'})`,
      { budgetMs, pool, elapsedMs: options?.elapsedMs, side: options?.side ?? 'server' },
      options,
    );
  }

  [HTTP_MEANING](): HttpMeaning {
    return { status: 504, code: 'query_timeout', dependency: `database:${this.pool}` };
  }
}

/**
 * What an error means to an HTTP caller. Libraries never import each other, so core's exception
 * filter cannot know `PoolExhaustedError` or `BreakerOpenError`; instead each such error answers
 * this well-known method. A registered symbol (`Symbol.for`) keeps the contract working even when
 * an app ends up with two copies of `@ballast/core`.
 */
export const HTTP_MEANING: unique symbol = Symbol.for('@ballast/core.httpMeaning');

export interface HttpMeaning {
  /** 503: a dependency or a local limit cannot serve now; 504: a call ran out of its time budget. */
  readonly status: 503 | 504;
  /** Short machine-readable reason, e.g. `pool_exhausted`, `breaker_open`, `shed`, `timeout`. */
  readonly code: string;
  /** What could not serve, never secret: `database:main`, `breaker:upstream`, `admission`. */
  readonly dependency: string;
  /** When a retry may succeed, for `Retry-After`; undefined when unknown. */
  readonly retryAfterMs?: number;
}

export interface HasHttpMeaning {
  [HTTP_MEANING](): HttpMeaning;
}

/** The HTTP meaning of `error` if it declares one (ours, or any error implementing the contract). */
export function httpMeaningOf(error: unknown): HttpMeaning | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const describe = (error as Partial<HasHttpMeaning>)[HTTP_MEANING];
  return typeof describe === 'function' ? describe.call(error) : undefined;
}

/**
 * Which errors count, retry or trigger a fallback is decided by matchers: an error class (matched
 * with `instanceof`) or a predicate. The facts below read what Node, undici, axios, got, fetch and
 * Nest's HttpException put on their errors, so the defaults work whichever client the app uses.
 */
export type ErrorClass = abstract new (...args: never[]) => unknown;
export type ErrorPredicate = (error: unknown) => boolean;
export type ErrorMatcher = ErrorClass | ErrorPredicate;

function isClass(matcher: ErrorMatcher): matcher is ErrorClass {
  const proto = (matcher as { prototype?: unknown }).prototype;
  if (proto === undefined) return false; // arrow functions
  if (matcher === (Error as unknown) || proto instanceof Error) return true;
  return /^class[\s{]/.test(Function.prototype.toString.call(matcher));
}

export function matches(error: unknown, matcher: ErrorMatcher): boolean {
  return isClass(matcher) ? error instanceof matcher : (matcher as ErrorPredicate)(error) === true;
}

export function matchesAny(error: unknown, matchers: readonly ErrorMatcher[] | undefined): boolean {
  if (matchers === undefined) return false;
  for (const matcher of matchers) if (matches(error, matcher)) return true;
  return false;
}

type Bag = Record<string, unknown>;
const bag = (value: unknown): Bag | undefined =>
  value !== null && typeof value === 'object' ? (value as Bag) : undefined;

/** `code` of the error or of its cause (undici wraps socket errors in `cause`). */
export function codeOf(error: unknown): string | undefined {
  for (let current = bag(error), depth = 0; current && depth < 3; current = bag(current.cause), depth++) {
    if (typeof current.code === 'string') return current.code;
  }
  return undefined;
}

/** HTTP status carried by the error: `status`, `statusCode`, `response.status`, or Nest's `getStatus()`. */
export function statusOf(error: unknown): number | undefined {
  const e = bag(error);
  if (!e) return undefined;
  const candidates = [e.status, e.statusCode, bag(e.response)?.status, bag(e.response)?.statusCode];
  for (const value of candidates) if (typeof value === 'number' && value >= 100 && value < 600) return value;
  if (typeof e.getStatus === 'function') {
    const status = (e.getStatus as () => unknown).call(error);
    if (typeof status === 'number') return status;
  }
  return undefined;
}

function header(headers: unknown, name: string): string | undefined {
  if (headers === null || typeof headers !== 'object') return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    const value = (headers as { get(name: string): unknown }).get(name);
    return typeof value === 'string' ? value : undefined;
  }
  for (const [key, value] of Object.entries(headers as Bag)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? String(value[0]) : String(value);
  }
  return undefined;
}

/**
 * The wait a server asked for, in ms: `retryAfterMs` on the error, or a `Retry-After` header
 * (seconds or an HTTP date) on the error or its response. Undefined when there is none.
 */
export function retryAfterMsOf(error: unknown, nowEpochMs = Date.now()): number | undefined {
  const e = bag(error);
  if (!e) return undefined;
  if (typeof e.retryAfterMs === 'number' && e.retryAfterMs >= 0) return e.retryAfterMs;
  const raw = header(e.headers, 'retry-after') ?? header(bag(e.response)?.headers, 'retry-after');
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowEpochMs);
}

export const NETWORK_ERROR_CODES: readonly string[] = [
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTCONN',
  'ESOCKETTIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
];

/** A transport failure: connection reset, refused, timed out, DNS hiccup... */
export const isNetworkError: ErrorPredicate = (error) => {
  const code = codeOf(error);
  return code !== undefined && NETWORK_ERROR_CODES.includes(code);
};

/** Ours (`TimeoutError`, code ETIMEDOUT) or the platform's (`AbortSignal.timeout()` rejects with a DOMException named TimeoutError). */
export const isTimeoutError: ErrorPredicate = (error) =>
  bag(error)?.name === 'TimeoutError' || codeOf(error) === 'ETIMEDOUT';

/** 408, 429, 502, 503, 504: the server says try again. */
export const isRetryableHttpError: ErrorPredicate = (error) => {
  const status = statusOf(error);
  return status === 408 || status === 429 || status === 502 || status === 503 || status === 504;
};

/** 401 and 403, or errors named like it: retrying cannot help. */
export const isAuthError: ErrorPredicate = (error) => {
  const status = statusOf(error);
  if (status === 401 || status === 403) return true;
  const name = bag(error)?.name;
  return (
    typeof name === 'string' &&
    /^(Unauthori[sz]ed|Forbidden|Authentication|Authori[sz]ation)(Error|Exception)$/.test(name)
  );
};

/** 400 and 422, or errors named like a validation failure: the same request fails the same way. */
export const isValidationError: ErrorPredicate = (error) => {
  const status = statusOf(error);
  if (status === 400 || status === 422) return true;
  const name = bag(error)?.name;
  return (
    typeof name === 'string' && /^(Validation|BadRequest|UnprocessableEntity|ZodError)(Error|Exception)?$/.test(name)
  );
};

/** Any 4xx except 408 and 429: the caller's mistake, not the dependency's failure. */
export const isClientError: ErrorPredicate = (error) => {
  const status = statusOf(error);
  return status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
};

/** The caller gave up (its AbortSignal fired): not the dependency's fault, never retried. */
export const isAbortError: ErrorPredicate = (error) => bag(error)?.name === 'AbortError';

/**
 * What a protected function receives. `signal` is created the first time it is read (an
 * AbortController costs microseconds on Node 20, more than the rest of a protected call), so
 * functions that never look at it pay nothing for it.
 */
export interface CallContext {
  /** Aborted when this call's timeout fires or the caller's own signal aborts. */
  readonly signal: AbortSignal;
  /** 1 for the first try, 2 for the first retry, ... */
  readonly attempt: number;
  /**
   * The caller's own signal, when the caller passed one: tells a caller's abort apart from a
   * timeout without reading `signal` (which would create it).
   */
  readonly callerSignal?: AbortSignal;
}

/** A function protected by a policy. */
export type Protected<T> = (context: CallContext) => T | PromiseLike<T>;

import { BallastError } from '@ballast/core';

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
}

function describeNumbers(n: PoolErrorNumbers): string {
  const parts = [`size ${n.size}/${n.max}`, `used ${n.used}`, `idle ${n.idle}`, `pending ${n.pending}`];
  if (n.creating > 0) parts.push(`creating ${n.creating}`);
  if (n.waitedMs !== undefined) parts.push(`waited ${Math.round(n.waitedMs)} ms`);
  if (n.lastCreateError) parts.push(`last create error: ${n.lastCreateError}`);
  return parts.join(', ');
}

/** No resource could be had within the acquire timeout, or the waiting queue was full. */
export class PoolExhaustedError extends BallastError {
  readonly numbers: PoolErrorNumbers;

  constructor(reason: string, numbers: PoolErrorNumbers, options?: ErrorOptions) {
    super(`Pool "${numbers.pool}" exhausted: ${reason} (${describeNumbers(numbers)})`, { ...numbers }, options);
    this.numbers = numbers;
  }
}

/** The pool is draining or closed and takes no new acquires. */
export class PoolClosedError extends BallastError {
  readonly numbers: PoolErrorNumbers;

  constructor(state: 'draining' | 'closed', numbers: PoolErrorNumbers) {
    super(`Pool "${numbers.pool}" is ${state} and takes no new acquires (${describeNumbers(numbers)})`, {
      ...numbers,
      state,
    });
    this.numbers = numbers;
  }
}

/** Creating a resource failed (or took longer than the connect timeout); `cause` is the factory's error. */
export class PoolCreateError extends BallastError {
  readonly numbers: PoolErrorNumbers;

  constructor(reason: string, numbers: PoolErrorNumbers, options?: ErrorOptions) {
    super(
      `Pool "${numbers.pool}" could not create a resource: ${reason} (${describeNumbers(numbers)})`,
      { ...numbers },
      options,
    );
    this.numbers = numbers;
  }
}

/** A query ran past its budget (server-side `statement_timeout` or the client-side deadline). */
export class QueryTimeoutError extends BallastError {
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
}

import { BallastOptionsError } from '@ballast/core';

import { policyDecorator } from './decorator-options.js';

export interface DeadLetterDecoratorOptions<A extends unknown[] = never[]> {
  readonly queue: string;
  /** What to keep, from the arguments (default: the single argument, or the list of them). */
  readonly record?: (...args: A) => unknown;
  /** Extra context stored with the letter (the method's name is always added as `source`). */
  readonly meta?: (...args: A) => Record<string, unknown>;
}

/**
 * Sends the call's record to a dead-letter queue when it failed after every retry, then lets the
 * error go on (to `@Fallback`, or to the caller). Records and errors pass through `redact()`.
 */
export function DeadLetter<A extends unknown[] = never[]>(
  queueOrOptions: string | DeadLetterDecoratorOptions<A>,
): MethodDecorator {
  const options = typeof queueOrOptions === 'string' ? { queue: queueOrOptions } : queueOrOptions;
  if (!/^[\w.:/@-]{1,200}$/.test(options.queue ?? '')) {
    throw new BallastOptionsError(
      `@DeadLetter(): queue = ${JSON.stringify(options.queue)}: must be 1-200 of letters, digits and . : / @ _ -`,
    );
  }
  return policyDecorator('DeadLetter', 'deadLetter', {
    queue: options.queue,
    ...(options.record === undefined ? {} : { record: options.record as unknown as (...args: never[]) => unknown }),
    ...(options.meta === undefined
      ? {}
      : { meta: options.meta as unknown as (...args: never[]) => Record<string, unknown> }),
  });
}

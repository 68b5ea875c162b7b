import { BallastOptionsError } from '@ballast/core';

import type { ErrorMatcher } from '../errors/error-matchers.js';
import { policyDecorator } from './decorator-options.js';

export interface FallbackDecoratorOptions {
  /** Errors the fallback answers for (default: all). */
  readonly on?: readonly ErrorMatcher[];
}

/**
 * Answers with `handler(error, ...args)` when the call failed after every other policy: `handler`
 * is the name of a method of the same instance, or a function (called with the instance as `this`).
 */
export function Fallback<A extends unknown[] = never[]>(
  handler: string | ((error: unknown, ...args: A) => unknown),
  options: FallbackDecoratorOptions = {},
): MethodDecorator {
  if (typeof handler !== 'string' && typeof handler !== 'function') {
    throw new BallastOptionsError('@Fallback(): handler must be a method name or a function');
  }
  return policyDecorator('Fallback', 'fallback', {
    handler: handler as string | ((error: unknown, ...args: never[]) => unknown),
    ...(options.on === undefined ? {} : { on: options.on }),
  });
}

import { BallastOptionsError } from '@ballast/core';

import { MAX_TIMER_MS } from '../policies/option-fields.js';
import type { TimeoutRequest } from '../resilience.runtime.js';
import { policyDecorator } from './decorator-options.js';

export interface TimeoutDecoratorOptions extends TimeoutRequest {
  readonly name?: string;
}

/**
 * Gives each call (each retry attempt) its own deadline and AbortSignal; read the signal with a
 * `@CallSignal()` parameter. Without a value, the module's `timeout.timeoutMs` (or the profile's).
 */
export function Timeout(msOrOptions?: number | TimeoutDecoratorOptions): MethodDecorator {
  const options: TimeoutDecoratorOptions =
    typeof msOrOptions === 'number' ? { timeoutMs: msOrOptions } : (msOrOptions ?? {});
  const { name, ...request } = options;
  const ms = request.timeoutMs;
  if (ms !== undefined && (!Number.isInteger(ms) || ms < 1 || ms > MAX_TIMER_MS)) {
    throw new BallastOptionsError(
      `@Timeout(): timeoutMs = ${ms}: must be a whole number of ms from 1 to ${MAX_TIMER_MS}`,
    );
  }
  return policyDecorator('Timeout', 'timeout', { ...(name === undefined ? {} : { name }), request });
}

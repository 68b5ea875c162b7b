import type { RetryRequest } from '../resilience.runtime.js';
import { checkOptions, overrideSchemas, policyDecorator } from './decorator-options.js';

export interface RetryDecoratorOptions extends RetryRequest {
  /** Policy name for metrics (default `ClassName.method`). */
  readonly name?: string;
}

/** Retries the method (each attempt through the breaker and timeout, when those are present). */
export function Retry(profileOrOptions?: string | RetryDecoratorOptions): MethodDecorator {
  const options: RetryDecoratorOptions =
    typeof profileOrOptions === 'string' ? { profile: profileOrOptions } : (profileOrOptions ?? {});
  const { name, profile, ...overrides } = options;
  checkOptions('Retry', overrideSchemas.retry, overrides);
  return policyDecorator('Retry', 'retry', {
    ...(name === undefined ? {} : { name }),
    request: { ...overrides, ...(profile === undefined ? {} : { profile }) },
  });
}

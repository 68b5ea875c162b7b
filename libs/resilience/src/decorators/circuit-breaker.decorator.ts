import type { BreakerRequest } from '../breaker/breaker.registry.js';
import { checkOptions, overrideSchemas, policyDecorator } from './decorator-options.js';

export interface CircuitBreakerDecoratorOptions<A extends unknown[] = never[]> extends BreakerRequest {
  /** Breaker name (default `ClassName.method`); methods naming the same breaker share it. */
  readonly name?: string;
  /** One breaker per key (tenant, host...) computed from the call's arguments, in a bounded LRU. */
  readonly key?: (...args: A) => string;
  /** Keys kept for a keyed breaker (default: module option keyed.maxKeys). */
  readonly maxKeys?: number;
}

/**
 * Runs the method through a circuit breaker: `@CircuitBreaker('payments')` uses the registry's
 * breaker `payments` (and the profile of that name, if any); `@CircuitBreaker({ ...overrides })`
 * one named after the method. The decorated method returns a promise.
 */
export function CircuitBreaker<A extends unknown[] = never[]>(
  nameOrOptions?: string | CircuitBreakerDecoratorOptions<A>,
): MethodDecorator {
  const options: CircuitBreakerDecoratorOptions<A> =
    typeof nameOrOptions === 'string' ? { name: nameOrOptions } : (nameOrOptions ?? {});
  const { name, key, maxKeys, ...request } = options;
  const { profile: _profile, ...overrides } = request;
  checkOptions('CircuitBreaker', overrideSchemas.breaker, overrides);
  return policyDecorator('CircuitBreaker', 'breaker', {
    ...(name === undefined ? {} : { name }),
    request,
    ...(key === undefined ? {} : { key: key as unknown as (...args: never[]) => string }),
    ...(maxKeys === undefined ? {} : { maxKeys }),
  });
}

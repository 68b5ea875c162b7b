import { BallastOptionsError } from '@ballast/core';

import type { BreakerRequest } from '../breaker/breaker.registry.js';
import type { ErrorMatcher } from '../errors/error-matchers.js';
import type { ResilienceRuntime, BulkheadRequest, RetryRequest, TimeoutRequest } from '../resilience.runtime.js';
import type { MethodPipeline } from './method-pipeline.js';

// Functions are typed loosely here: a decorator serves methods of any signature.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type AnyMethod = Function;

export interface BreakerPolicySpec {
  readonly name?: string;
  readonly request?: BreakerRequest;
  /** Per-key breakers: the key of a call, from its arguments. */
  readonly key?: (...args: never[]) => string;
  readonly maxKeys?: number;
}

export interface NamedSpec<R> {
  readonly name?: string;
  readonly request?: R;
}

export interface FallbackPolicySpec {
  /** A method name on the same instance, or a function; called as `(error, ...args)`. */
  readonly handler: string | ((error: unknown, ...args: never[]) => unknown);
  readonly on?: readonly ErrorMatcher[];
}

export interface DeadLetterPolicySpec {
  readonly queue: string;
  /** What to store, from the call's arguments; default: the one argument, or all of them. */
  readonly record?: (...args: never[]) => unknown;
  /** Extra context stored with the letter. */
  readonly meta?: (...args: never[]) => Record<string, unknown>;
}

export interface MethodPolicies {
  breaker?: BreakerPolicySpec;
  retry?: NamedSpec<RetryRequest>;
  timeout?: NamedSpec<TimeoutRequest>;
  bulkhead?: NamedSpec<BulkheadRequest>;
  fallback?: FallbackPolicySpec;
  deadLetter?: DeadLetterPolicySpec;
}

export interface MethodState {
  readonly original: AnyMethod;
  readonly label: string;
  readonly target: object;
  readonly key: string | symbol;
  readonly policies: MethodPolicies;
  pipelines: WeakMap<ResilienceRuntime, MethodPipeline>;
}

const STATE = Symbol('ballast:resilience-method');
const signalParams = new WeakMap<object, Map<string | symbol, number>>();

/** Remembers which parameter of a method receives the call's AbortSignal (`@CallSignal()`). */
export function setSignalParameter(target: object, key: string | symbol, index: number): void {
  let byKey = signalParams.get(target);
  if (byKey === undefined) signalParams.set(target, (byKey = new Map()));
  byKey.set(key, index);
}

export function signalParameterOf(target: object, key: string | symbol): number | undefined {
  return signalParams.get(target)?.get(key);
}

export function methodState(fn: unknown): MethodState | undefined {
  return typeof fn === 'function' ? (fn as { [STATE]?: MethodState })[STATE] : undefined;
}

type MetadataApi = {
  getOwnMetadataKeys?: (target: object) => unknown[];
  getOwnMetadata?: (key: unknown, target: object) => unknown;
  defineMetadata?: (key: unknown, value: unknown, target: object) => void;
};

/** Keeps what other decorators (@Cron, @Get, @OnEvent...) attached to the method before ours wrapped it. */
function copyMetadata(from: AnyMethod, to: AnyMethod): void {
  const reflect = Reflect as unknown as MetadataApi;
  if (!reflect.getOwnMetadataKeys || !reflect.getOwnMetadata || !reflect.defineMetadata) return;
  for (const key of reflect.getOwnMetadataKeys(from)) {
    reflect.defineMetadata(key, reflect.getOwnMetadata(key, from), to);
  }
}

function labelOf(target: object, key: string | symbol): string {
  const owner = typeof target === 'function' ? target : target.constructor;
  return `${(owner as { name?: string }).name || 'anonymous'}.${String(key)}`;
}

/**
 * Adds one policy to a method. The first resilience decorator replaces the method with a wrapper
 * that runs every policy of the method in the documented order, whatever order the decorators
 * were written in; the following ones only add their policy to it.
 */
export function addPolicy<K extends keyof MethodPolicies>(
  decorator: string,
  kind: K,
  spec: NonNullable<MethodPolicies[K]>,
  target: object,
  key: string | symbol,
  descriptor: PropertyDescriptor,
  invoke: (state: MethodState, self: unknown, args: unknown[]) => Promise<unknown>,
): PropertyDescriptor {
  const current: unknown = descriptor.value;
  if (typeof current !== 'function') {
    throw new TypeError(`@${decorator}() decorates methods; ${labelOf(target, key)} is not one`);
  }
  let state = methodState(current);
  if (state === undefined) {
    const created: MethodState = {
      original: current,
      label: labelOf(target, key),
      target,
      key,
      policies: {},
      pipelines: new WeakMap(),
    };
    state = created;
    const wrapper = function (this: unknown, ...args: unknown[]): Promise<unknown> {
      return invoke(created, this, args);
    };
    copyMetadata(current, wrapper);
    Object.defineProperty(wrapper, 'name', { value: current.name, configurable: true });
    Object.defineProperty(wrapper, STATE, { value: created });
    descriptor.value = wrapper;
  }
  if (state.policies[kind] !== undefined) {
    throw new BallastOptionsError(`@${decorator}() is applied twice to ${state.label}`, { method: state.label });
  }
  state.policies[kind] = spec;
  state.pipelines = new WeakMap();
  return descriptor;
}

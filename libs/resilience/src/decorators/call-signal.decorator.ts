import { setSignalParameter } from './method-policies.js';

/**
 * Marks the parameter that receives the call's AbortSignal: aborted when the `@Timeout` of this
 * attempt passes or when the caller's own signal (passed in the same position) aborts. A signal the
 * caller passes there also stops `@Retry` at once.
 *
 * @example
 * \@Timeout(2_000)
 * async quote(symbol: string, @CallSignal() signal?: AbortSignal) { return fetch(url, { signal }); }
 */
export function CallSignal(): ParameterDecorator {
  return (target, key, index) => {
    if (key === undefined) throw new TypeError('@CallSignal() marks a method parameter, not a constructor parameter');
    setSignalParameter(target, key, index);
  };
}

import type { Breaker } from '../breaker/breaker.js';
import type { KeyedBreakers } from '../breaker/keyed-breakers.js';
import { operatorStateOf } from './operator-state.js';

/** One named breaker as the performance API shows it (snake_case, as the rest of that API). */
export function breakerView(breaker: Breaker, sharedStateEnabled: boolean) {
  const s = breaker.snapshot();
  return {
    name: s.name,
    state: s.state,
    /** `forced-open`, `disabled` or `metrics-only` while an operator holds one, else null. */
    operator_state: operatorStateOf(s.state),
    /** Whether an operator state set here reaches the other instances (shared state on, breaker sharing). */
    shared_state: sharedStateEnabled && breaker.config.shareState,
    failure_rate: s.failureRate,
    slow_call_rate: s.slowCallRate,
    buffered_calls: s.bufferedCalls,
    failed_calls: s.failedCalls,
    slow_calls: s.slowCalls,
    retry_after_ms: s.retryAfterMs,
  };
}

export type BreakerView = ReturnType<typeof breakerView>;

/** A keyed group, listed for completeness: its per-key breakers are not operated through the API. */
export function keyedGroupView(group: KeyedBreakers) {
  return { name: group.name, keys: group.size, not_closed: group.notClosed().length };
}

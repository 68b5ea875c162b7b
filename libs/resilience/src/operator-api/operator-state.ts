import { z } from 'zod';

import type { BreakerStateName } from '../errors/resilience.errors.js';

/**
 * What an operator may set through the performance API: Resilience4j's operator states, named as
 * snapshots, metrics and `BreakerOpenError` name them, and `closed`, which is `reset()`: back to
 * normal operation (from an operator state or from an automatic open) with an empty window.
 */
export const OPERATOR_STATE_REQUESTS = ['forced-open', 'disabled', 'metrics-only', 'closed'] as const;
export type OperatorStateRequest = (typeof OPERATOR_STATE_REQUESTS)[number];

/** The states that hold until an operator ends them. */
export type OperatorState = Exclude<OperatorStateRequest, 'closed'>;

/** The body of `PUT .../breakers/:name/state`; unknown fields are refused, not ignored. */
export const breakerStateBody = z.strictObject({ state: z.enum(OPERATOR_STATE_REQUESTS) });
export type BreakerStateBody = z.output<typeof breakerStateBody>;

export function operatorStateOf(state: BreakerStateName): OperatorState | null {
  return state === 'forced-open' || state === 'disabled' || state === 'metrics-only' ? state : null;
}

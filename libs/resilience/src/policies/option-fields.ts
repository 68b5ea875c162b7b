import { z } from 'zod';

import type { ErrorMatcher } from '../errors/error-matchers.js';

/** Milliseconds a Node timer can wait (setTimeout clamps anything longer to 1 ms). */
export const MAX_TIMER_MS = 2_147_483_647;

export const durationMs = (min = 0) => z.number().int().min(min).max(MAX_TIMER_MS);
export const percent = () => z.number().gt(0).max(100);
export const count = (min: number, max: number) => z.number().int().min(min).max(max);

export const matcherList = () =>
  z.array(
    z.custom<ErrorMatcher>(
      (value) => typeof value === 'function',
      'must be an error class or a predicate (error) => boolean',
    ),
  );

/** Names of breakers, profiles, queues: they end up in metric labels and Redis keys. */
export const policyName = () =>
  z
    .string()
    .min(1)
    .max(200)
    .regex(/^[\w.:/@-]+$/, 'must be letters, digits and . : / @ _ - only');

/** Makes every field optional and rejects unknown ones: the shape of profile and per-call overrides. */
export function overridesOf<T extends z.ZodRawShape>(fields: T) {
  return z.strictObject(fields).partial();
}

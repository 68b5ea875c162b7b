import { parseOptions } from '@ballast/core';
import type { z } from 'zod';

import { breakerFields } from '../breaker/breaker.options.js';
import { bulkheadFields } from '../bulkhead/bulkhead.options.js';
import { overridesOf } from '../policies/option-fields.js';
import { retryFields } from '../retry/retry.options.js';
import { addPolicy, type MethodPolicies } from './method-policies.js';
import { invokeWithPolicies } from './method-pipeline.js';

export const overrideSchemas = {
  breaker: overridesOf(breakerFields),
  retry: overridesOf(retryFields),
  bulkhead: overridesOf(bulkheadFields),
};

/** Checks decorator options when the class is defined, so a typo fails at start-up, not at the first call. */
export function checkOptions<T extends object>(decorator: string, schema: z.ZodType, options: T): T {
  parseOptions(`@${decorator}()`, schema, options);
  return options;
}

/** The MethodDecorator every resilience decorator returns. */
export function policyDecorator<K extends keyof MethodPolicies>(
  decorator: string,
  kind: K,
  spec: NonNullable<MethodPolicies[K]>,
): MethodDecorator {
  return (target, key, descriptor) =>
    addPolicy(decorator, kind, spec, target, key, descriptor as PropertyDescriptor, invokeWithPolicies) as never;
}

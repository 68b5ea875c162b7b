import type { BulkheadRequest } from '../resilience.runtime.js';
import { checkOptions, overrideSchemas, policyDecorator } from './decorator-options.js';

export interface BulkheadDecoratorOptions extends BulkheadRequest {
  /** Bulkhead name (default `ClassName.method`); methods naming the same bulkhead share its slots. */
  readonly name?: string;
}

/** Limits concurrent calls of the method, with a bounded queue and a queue timeout. */
export function Bulkhead(nameOrOptions?: string | BulkheadDecoratorOptions): MethodDecorator {
  const options: BulkheadDecoratorOptions =
    typeof nameOrOptions === 'string' ? { name: nameOrOptions } : (nameOrOptions ?? {});
  const { name, profile, ...overrides } = options;
  checkOptions('Bulkhead', overrideSchemas.bulkhead, overrides);
  return policyDecorator('Bulkhead', 'bulkhead', {
    ...(name === undefined ? {} : { name }),
    request: { ...overrides, ...(profile === undefined ? {} : { profile }) },
  });
}

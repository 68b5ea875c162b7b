import type { OptionSpecTree } from '@ballast/core';

import { count, durationMs } from '../policies/option-fields.js';

export const bulkheadFields = {
  maxConcurrent: count(1, 100_000),
  maxQueue: count(0, 1_000_000),
  queueTimeoutMs: durationMs(0),
};

export const bulkheadOptionSpecs = {
  maxConcurrent: {
    schema: bulkheadFields.maxConcurrent.default(25),
    env: 'RESILIENCE_BULKHEAD_MAX_CONCURRENT',
    description: 'Calls running at once; the next ones wait in the queue.',
  },
  maxQueue: {
    schema: bulkheadFields.maxQueue.default(50),
    env: 'RESILIENCE_BULKHEAD_MAX_QUEUE',
    description: 'Calls that may wait for a slot; beyond it a call is rejected at once (0: no queue).',
  },
  queueTimeoutMs: {
    schema: bulkheadFields.queueTimeoutMs.default(1_000),
    env: 'RESILIENCE_BULKHEAD_QUEUE_TIMEOUT_MS',
    description: 'Longest wait in the queue before the call is rejected (0: wait as long as it takes).',
  },
} satisfies OptionSpecTree;

export interface BulkheadConfig {
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  readonly queueTimeoutMs: number;
}

export type BulkheadOptions = Partial<BulkheadConfig>;

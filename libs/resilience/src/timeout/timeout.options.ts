import type { OptionSpecTree } from '@ballast/core';

import { count, durationMs } from '../policies/option-fields.js';

export const timeoutFields = {
  timeoutMs: durationMs(1),
};

export const timeoutOptionSpecs = {
  timeoutMs: {
    schema: timeoutFields.timeoutMs.default(10_000),
    env: 'RESILIENCE_TIMEOUT_MS',
    description: 'Deadline of a call under `@Timeout()` or a timeout policy given no value of its own.',
  },
  resolutionMs: {
    schema: count(1, 1_000).default(10),
    env: 'RESILIENCE_TIMER_RESOLUTION_MS',
    description:
      'Granularity of the shared timer wheel: deadlines are rounded up to it (a timeout fires at most this late), and calls whose deadlines fall in one slot share one timer.',
  },
} satisfies OptionSpecTree;

export interface TimeoutConfig {
  readonly timeoutMs: number;
}

export type TimeoutOptions = Partial<TimeoutConfig>;

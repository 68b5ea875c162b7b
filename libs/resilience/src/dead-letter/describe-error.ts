import { redact, redactString } from '@ballast/core';

import { codeOf, statusOf } from '../errors/error-matchers.js';
import type { DeadLetterErrorInfo } from './dead-letter.interfaces.js';

const MAX_MESSAGE = 2_000;
const MAX_STACK = 8_000;

/** The parts of an error worth keeping, redacted, with the stack only when asked for. */
export function describeError(error: unknown, includeStack: boolean): DeadLetterErrorInfo {
  if (!(error instanceof Error)) {
    return { name: typeof error, message: redactString(String(error)).slice(0, MAX_MESSAGE) };
  }
  const code = codeOf(error);
  const status = statusOf(error);
  return {
    name: error.name,
    message: redactString(error.message).slice(0, MAX_MESSAGE),
    ...(code === undefined ? {} : { code }),
    ...(status === undefined ? {} : { status }),
    ...(includeStack && typeof error.stack === 'string'
      ? { stack: redactString(error.stack).slice(0, MAX_STACK) }
      : {}),
  };
}

/** JSON that survives what records carry: bigint as a string, cycles cut by `redact`. */
export function toJson(value: unknown): string {
  return JSON.stringify(redact(value), (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item));
}

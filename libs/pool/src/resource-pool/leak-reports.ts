import { redactString } from '@ballast/core';

/** The acquirer's stack, kept as V8 captured it and formatted only if a report needs it. */
export type Holder = { stack?: string };

/**
 * Captures the caller's stack, leaving out `below` and every frame inside it, so the first frame is
 * whoever asked for the resource. Only called when leak detection is on (it costs ~1-2 µs).
 */
export function captureHolder(depth: number, below: (...args: never[]) => unknown): Holder {
  const holder: Holder = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = depth;
  Error.captureStackTrace(holder, below);
  Error.stackTraceLimit = limit;
  return holder;
}

/** The frames of a captured stack (its "Error" header line dropped), indented. */
export function stackFrames(stack: string, indent = '    '): string {
  return stack
    .split('\n')
    .filter((line) => line.trimStart().startsWith('at '))
    .map((line) => `${indent}${line.trim()}`)
    .join('\n');
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return redactString(error.message || error.name);
  return redactString(String(error));
}

export function leakMessage(
  pool: string,
  heldMs: number,
  thresholdMs: number,
  holder: Holder | undefined,
  stacksOn: boolean,
): string {
  const where = holder?.stack
    ? `; acquired at:\n${stackFrames(holder.stack)}`
    : stacksOn
      ? ''
      : ' (stacks off: set leakDetectionStacks to see where)';
  return `Pool "${pool}": a lease has been held for ${Math.round(heldMs)} ms (leakDetectionMs ${thresholdMs}), possible leak${where}`;
}

export function leakReturnedMessage(pool: string, heldMs: number): string {
  return `Pool "${pool}": the lease reported as a possible leak came back after ${Math.round(heldMs)} ms`;
}

export function holdersMessage(
  pool: string,
  holders: readonly { heldMs: number; stack?: string }[],
  waitedMs: number,
): string {
  const lines = holders.map(
    (h, i) =>
      `  #${i + 1} held ${Math.round(h.heldMs)} ms${
        h.stack
          ? `, acquired at:\n${stackFrames(h.stack, '      ')}`
          : ' (turn leak detection on to see where it was acquired)'
      }`,
  );
  return `Pool "${pool}": ${holders.length} lease(s) still out after ${waitedMs} ms:\n${lines.join('\n')}`;
}

import { Logger } from '@nestjs/common';

import { redact, redactString } from './redact.js';

/** Errors stay errors (Nest prints their stacks), with their text cleaned. */
function clean(value: unknown): unknown {
  if (!(value instanceof Error)) return redact(value);
  const copy = new Error(redactString(value.message));
  copy.name = value.name;
  copy.stack = value.stack === undefined ? undefined : redactString(value.stack);
  return copy;
}

/**
 * A Nest `Logger` that redacts every message and argument before it reaches the app's logger,
 * so a connection string or token in an error never lands in the logs. Every Ballast module logs
 * through one of these.
 */
export class RedactingLogger extends Logger {
  override log(message: unknown, ...rest: unknown[]): void {
    super.log(clean(message), ...rest.map(clean));
  }

  override warn(message: unknown, ...rest: unknown[]): void {
    super.warn(clean(message), ...rest.map(clean));
  }

  override error(message: unknown, ...rest: unknown[]): void {
    super.error(clean(message), ...rest.map(clean));
  }

  override debug(message: unknown, ...rest: unknown[]): void {
    super.debug(clean(message), ...rest.map(clean));
  }

  override verbose(message: unknown, ...rest: unknown[]): void {
    super.verbose(clean(message), ...rest.map(clean));
  }

  override fatal(message: unknown, ...rest: unknown[]): void {
    super.fatal(clean(message), ...rest.map(clean));
  }
}

/**
 * Base class of every error Ballast throws on purpose, so callers can tell ours from a driver's.
 * `details` carries the numbers behind the error (already redacted) for logs and reports.
 */
export class BallastError extends Error {
  readonly details: Readonly<Record<string, unknown>>;

  constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.details = Object.freeze({ ...details });
  }
}

/** Invalid module options: thrown while the module is created, so start-up stops with one message. */
export class BallastOptionsError extends BallastError {}

import { jitteredBackoff } from './backoff.js';
import { describeError } from './leak-reports.js';
import type { PoolLogger } from './resource-pool.options.js';

/**
 * A pool's create failures in a row, from the first until the next success: the backoff between
 * probes, the last cause, and the logging. One outage logs one warn line when it starts and one
 * line when it ends; the attempts in between go to debug, so a 10-minute outage is two lines at
 * the default level, not one per probe or per refused caller.
 */
export class CreateOutage {
  /** Failed creates since the last success; 0 when the pool creates normally. */
  failures = 0;
  /** `performance.now()` before which no new probe starts. */
  nextAttemptAt = 0;
  /** The last create error (raw: redacted whenever it is shown). */
  lastError: unknown = undefined;
  /** Probes started in this outage: the backoff grows with them, so hung probes space out too. */
  private attempts = 0;
  private startedAt = 0;
  private lastDelayMs = 0;

  constructor(
    private readonly pool: string,
    private readonly logger: PoolLogger,
    private readonly initialMs: number,
    private readonly maxMs: number,
  ) {}

  get active(): boolean {
    return this.failures > 0;
  }

  /** Records a failed create and schedules the next probe; returns the pause before it. */
  failed(error: unknown, now: number): number {
    this.failures++;
    this.attempts = Math.max(this.attempts, this.failures);
    this.lastError = error;
    const delay = jitteredBackoff(this.attempts, this.initialMs, this.maxMs);
    this.lastDelayMs = delay;
    this.nextAttemptAt = now + delay;
    if (this.failures === 1) {
      this.startedAt = now;
      this.logger.warn(
        `Pool "${this.pool}": cannot create connections, failing acquires fast and retrying every <= ${this.maxMs} ms: ${describeError(error)}`,
      );
    } else {
      this.logger.debug?.(
        `Pool "${this.pool}": create attempt ${this.failures} failed, next in ${Math.round(delay)} ms: ${describeError(error)}`,
      );
    }
    return delay;
  }

  /** A probe is starting: the next one waits a backoff step even if this one hangs until its connect timeout. */
  probing(now: number): void {
    this.attempts++;
    this.nextAttemptAt = now + jitteredBackoff(this.attempts, this.initialMs, this.maxMs);
  }

  /** A create succeeded: ends the outage (logging its length) if there was one. */
  succeeded(now: number): void {
    if (this.failures === 0) return;
    this.logger.log(
      `Pool "${this.pool}": creating connections again after ${this.failures} failed attempt(s) over ${Math.round(now - this.startedAt)} ms`,
    );
    this.failures = this.attempts = 0;
    this.lastError = undefined;
  }

  /** How long until the pool may serve again, for `Retry-After`: the wait for the next probe, or the last pause. */
  retryAfterMs(now: number): number {
    const remaining = this.nextAttemptAt - now;
    return Math.ceil(remaining > 0 ? remaining : Math.max(this.lastDelayMs, 1));
  }
}

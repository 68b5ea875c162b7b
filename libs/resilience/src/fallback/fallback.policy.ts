import { matchesAny, type ErrorMatcher } from '../errors/error-matchers.js';
import type { ResilienceEvents } from '../resilience.events.js';

export class FallbackStats {
  /** Times the fallback ran. */
  calls = 0;
  succeeded = 0;
  /** The fallback itself threw. */
  failed = 0;
}

/**
 * Turns a failure into an answer: runs `fallback(error)` when the protected call failed with an
 * error the policy handles (`on`, default every error); the fallback's own failure reaches the caller.
 */
export class FallbackPolicy {
  readonly stats = new FallbackStats();

  constructor(
    readonly name: string,
    private readonly on?: readonly ErrorMatcher[],
    private readonly events?: ResilienceEvents,
  ) {}

  handles(error: unknown): boolean {
    return this.on === undefined || matchesAny(error, this.on);
  }

  async execute<T>(fn: () => Promise<T>, fallback: (error: unknown) => T | PromiseLike<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (!this.handles(error)) throw error;
      this.stats.calls++;
      this.events?.publish('fallback', { fallback: this.name, error });
      try {
        const value = await fallback(error);
        this.stats.succeeded++;
        return value;
      } catch (fallbackError) {
        this.stats.failed++;
        throw fallbackError;
      }
    }
  }
}

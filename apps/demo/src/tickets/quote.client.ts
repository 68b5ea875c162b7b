import { PoolRegistry } from '@ballast/pool';
import { CallSignal, CircuitBreaker, Fallback, isClientError, Retry, Timeout } from '@ballast/resilience';
import { Injectable } from '@nestjs/common';

export interface Quote {
  readonly currency: string;
  readonly rate: number | null;
  readonly stale?: boolean;
  readonly reason?: string;
}

class UpstreamError extends Error {
  override readonly name = 'UpstreamError';

  constructor(readonly status: number) {
    super(`upstream answered ${status}`);
  }
}

/**
 * The upstream call behind the full resilience stack: a per-call timeout, a breaker that stops
 * calling a failing upstream, retries for transient failures, and the last known quote as fallback.
 */
@Injectable()
export class QuoteClient {
  private last: Quote | undefined;

  constructor(private readonly pools: PoolRegistry) {}

  @Fallback('lastKnown')
  @Retry({ profile: 'upstream' })
  @CircuitBreaker({ name: 'upstream', profile: 'upstream', ignoreErrors: [isClientError] })
  @Timeout({ profile: 'upstream' })
  async quote(@CallSignal() signal?: AbortSignal): Promise<Quote> {
    const { statusCode, body } = await this.pools.http('upstream').request({ path: '/quote', method: 'GET', signal });
    if (statusCode !== 200) {
      await body.dump();
      throw new UpstreamError(statusCode);
    }
    const quote = (await body.json()) as Quote;
    this.last = quote;
    return quote;
  }

  lastKnown(error: unknown): Quote {
    return { ...(this.last ?? { currency: 'EUR', rate: null }), stale: true, reason: (error as Error).name };
  }
}

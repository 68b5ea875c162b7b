import { createServer, type Server } from 'node:http';

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  BreakerRegistry,
  CallSignal,
  CircuitBreaker,
  Fallback,
  isClientError,
  ResilienceRuntime,
  Retry,
  Timeout,
} from '@ballast/resilience';
import { Controller, Get, Inject, Injectable, Param, type INestApplication } from '@nestjs/common';
import request from 'supertest';

import { startApp } from './resilience-test.app.js';

/** A real HTTP upstream whose behaviour the test switches: fine, 503 with Retry-After, slow, 404. */
class FlakyUpstream {
  mode: 'ok' | 'unavailable' | 'slow' | 'not-found' = 'ok';
  hits = 0;
  /** Requests the client gave up on before the answer was written. */
  aborted = 0;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.hits++;
      const symbol = req.url!.split('/').pop();
      if (this.mode === 'unavailable') {
        res.writeHead(503, { 'retry-after': '0' }).end();
      } else if (this.mode === 'not-found') {
        res.writeHead(404).end();
      } else if (this.mode === 'slow') {
        res.on('close', () => {
          if (!res.writableEnded) this.aborted++;
        });
        setTimeout(() => res.writeHead(200).end(JSON.stringify({ symbol, price: 1 })), 500).unref();
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ symbol, price: 42 }));
      }
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

const upstream = new FlakyUpstream();

class UpstreamError extends Error {
  override readonly name = 'UpstreamError';

  constructor(
    readonly status: number,
    readonly headers: Headers,
  ) {
    super(`upstream answered ${status}`);
  }
}

interface Quote {
  symbol: string;
  price: number | null;
  stale?: boolean;
  reason?: string;
}

/** The docs' recipe, as the demo would have it. */
@Injectable()
class QuoteClient {
  private readonly last = new Map<string, Quote>();

  @Fallback('lastKnown')
  @Retry({ maxAttempts: 3, backoff: 'fixed', initialDelayMs: 5, jitter: 0 })
  @CircuitBreaker({
    name: 'quotes',
    ignoreErrors: [isClientError],
    minimumCalls: 4,
    windowSize: 4,
    openDurationMs: 60_000,
  })
  @Timeout(200)
  async quote(symbol: string, @CallSignal() signal?: AbortSignal): Promise<Quote> {
    const res = await fetch(`${upstream.url}/quote/${symbol}`, { signal });
    if (!res.ok) throw new UpstreamError(res.status, res.headers);
    const quote = (await res.json()) as Quote;
    this.last.set(symbol, quote);
    return quote;
  }

  lastKnown(error: unknown, symbol: string): Quote {
    return { ...(this.last.get(symbol) ?? { symbol, price: null }), stale: true, reason: (error as Error).name };
  }
}

@Controller('quotes')
class QuotesController {
  constructor(@Inject(QuoteClient) private readonly client: QuoteClient) {}

  @Get(':symbol')
  quote(@Param('symbol') symbol: string) {
    return this.client.quote(symbol);
  }
}

describe('flaky upstream behind breaker + retry + fallback (the demo endpoint)', () => {
  let app: INestApplication;

  beforeAll(async () => {
    await upstream.start();
  });

  afterAll(async () => {
    await upstream.stop();
  });

  afterEach(async () => {
    await app?.close();
    upstream.mode = 'ok';
    upstream.hits = 0;
    upstream.aborted = 0;
  });

  it('answers from the upstream, retries a 503, falls back, opens the breaker and stops calling', async () => {
    app = await startApp({}, { controllers: [QuotesController], providers: [QuoteClient] });
    const server = app.getHttpServer();
    expect((await request(server).get('/quotes/ACME').expect(200)).body).toEqual({ symbol: 'ACME', price: 42 });

    upstream.mode = 'unavailable';
    const fallback = await request(server).get('/quotes/ACME').expect(200);
    expect(fallback.body).toEqual({ symbol: 'ACME', price: 42, stale: true, reason: 'UpstreamError' });
    expect(upstream.hits).toBe(1 + 3); // three attempts, Retry-After: 0 honoured

    // One more failing call fills the window of four with failures: the breaker opens.
    await request(server).get('/quotes/ACME').expect(200);
    const breaker = app.get(BreakerRegistry).find('quotes')!;
    expect(breaker.state).toBe('open');
    const hitsWhenOpened = upstream.hits;
    const shortCircuited = await request(server).get('/quotes/ACME').expect(200);
    expect(shortCircuited.body.reason).toBe('BreakerOpenError');
    expect(upstream.hits).toBe(hitsWhenOpened); // the upstream is left alone
    const ready = await request(server).get('/health/ready').expect(200);
    expect(ready.body.status).toBe('degraded');
  });

  it('times out a slow upstream per attempt and aborts the request', async () => {
    app = await startApp({}, { controllers: [QuotesController], providers: [QuoteClient] });
    upstream.mode = 'slow';
    const res = await request(server(app)).get('/quotes/SLOW').expect(200);
    expect(res.body).toEqual({ symbol: 'SLOW', price: null, stale: true, reason: 'TimeoutError' });
    expect(upstream.hits).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(upstream.aborted).toBe(3); // each attempt's signal reached fetch and closed its request
    expect(app.get(ResilienceRuntime).breakers.find('quotes')!.stats.timeouts).toBe(3);
  });

  it('neither retries nor counts a 404', async () => {
    app = await startApp({}, { controllers: [QuotesController], providers: [QuoteClient] });
    upstream.mode = 'not-found';
    const res = await request(server(app)).get('/quotes/NOPE').expect(200);
    expect(res.body.reason).toBe('UpstreamError');
    expect(upstream.hits).toBe(1);
    const breaker = app.get(BreakerRegistry).find('quotes')!;
    expect(breaker.snapshot().bufferedCalls).toBe(0);
    expect(breaker.stats.ignored).toBe(1);
  });
});

function server(app: INestApplication) {
  return app.getHttpServer();
}

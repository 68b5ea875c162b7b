import { healthy, redactString, type HealthSnapshot, type ResourceHandle, type ResourceRegistry } from '@ballast/core';
import { Pool, type Dispatcher } from 'undici';

import { assessPool, pingFailed, type PoolHealthThresholds } from '../pool.health.js';
import {
  BucketHistogram,
  CREATE_BUCKETS_MS,
  USE_BUCKETS_MS,
  WAIT_BUCKETS_MS,
} from '../resource-pool/bucket-histogram.js';
import type { PoolStats, PoolStatsSource } from '../resource-pool/pool-stats.js';
import type { ConnectionObserver, HttpConnectionDiagnostics } from './http-diagnostics.js';

export interface HttpPoolSettings {
  readonly name: string;
  readonly origin: string;
  /** Sockets at most. */
  readonly maxSize: number;
  readonly connectTimeoutMs: number;
  /** keep-alive timeout of an idle socket. */
  readonly idleTimeoutMs: number;
  /** Cap on the keep-alive a server's hint may ask for. */
  readonly maxLifetimeMs: number;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly pipelining: number;
  readonly healthPath?: string;
  /** A health result is reused for this long; 0 asks every time. */
  readonly healthCheckIntervalMs: number;
  readonly acquireTimeoutMs?: number;
  readonly diagnostics: HttpConnectionDiagnostics;
  readonly resourceRegistry?: ResourceRegistry;
}

export type HttpRequestOptions = Omit<Dispatcher.RequestOptions, 'origin'>;

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * A named undici Pool for one upstream origin: a bounded number of keep-alive sockets with connect,
 * headers and body timeouts. Every request through {@link HttpPool.dispatcher} (request, fetch,
 * stream) is timed by an interceptor: wait (until a socket takes it) and use (until the response
 * ends) go into the same `db_client_connection_*` histograms as database pools; connection opening
 * comes from undici's diagnostics channels.
 */
export class HttpPool implements PoolStatsSource, ConnectionObserver {
  readonly kind = 'http';
  readonly name: string;
  readonly origin: string;
  readonly originKey: string;
  /** The raw undici pool. Prefer {@link HttpPool.dispatcher}, which is timed. */
  readonly pool: Pool;
  /** Hand this to `fetch(url, { dispatcher })` or `request(url, { dispatcher })`. */
  readonly dispatcher: Dispatcher;

  readonly waitTime = new BucketHistogram(WAIT_BUCKETS_MS);
  readonly useTime = new BucketHistogram(USE_BUCKETS_MS);
  readonly createTime = new BucketHistogram(CREATE_BUCKETS_MS);
  /** Requests dispatched that no socket has taken yet. */
  waiting = 0;
  private running = 0;
  private timeouts = 0;
  private requestErrors = 0;
  private connectErrors = 0;
  private created = 0;
  private destroyed = 0;
  private readonly connectStarts: number[] = [];
  private lastHealth: { at: number; snapshot: HealthSnapshot } | undefined;
  private readonly detach: () => void;
  private readonly handle: ResourceHandle | undefined;
  private closed = false;

  constructor(private readonly settings: HttpPoolSettings) {
    this.name = settings.name;
    this.origin = settings.origin;
    this.originKey = new URL(settings.origin).origin;
    this.pool = new Pool(settings.origin, {
      connections: settings.maxSize,
      pipelining: settings.pipelining,
      keepAliveTimeout: settings.idleTimeoutMs,
      keepAliveMaxTimeout: settings.maxLifetimeMs,
      headersTimeout: settings.headersTimeoutMs,
      bodyTimeout: settings.bodyTimeoutMs,
      connect: { timeout: settings.connectTimeoutMs },
    });
    this.pool.on('disconnect', () => this.destroyed++);
    this.dispatcher = this.pool.compose((dispatch) => (options, handler) => {
      this.waiting++;
      return dispatch(options, new TimedHandler(this, handler, performance.now()));
    });
    this.detach = settings.diagnostics.attach(this);
    this.handle = settings.resourceRegistry?.tracking
      ? settings.resourceRegistry.register(this.pool, {
          type: 'http-pool',
          owner: `pool:http:${settings.name}`,
          longLived: true,
          details: { origin: this.originKey },
        })
      : undefined;
  }

  /** `request()` against this pool's origin; read or dump the body to free the socket. */
  request(options: HttpRequestOptions): Promise<Dispatcher.ResponseData> {
    return this.dispatcher.request({ origin: this.origin, ...options } as Dispatcher.RequestOptions);
  }

  // ConnectionObserver: fed by undici's diagnostics channels.
  connectStarted(): void {
    this.connectStarts.push(performance.now());
  }

  connected(): void {
    this.created++;
    const started = this.connectStarts.shift();
    if (started !== undefined) this.createTime.observe(performance.now() - started);
  }

  connectFailed(error: Error | undefined): void {
    this.connectStarts.shift();
    this.connectErrors++;
    if (error && TIMEOUT_CODES.has((error as Error & { code?: string }).code ?? '')) this.timeouts++;
  }

  /** @internal From the interceptor. */
  requestStarted(waitedMs: number): void {
    this.waiting--;
    this.running++;
    this.waitTime.observe(waitedMs);
  }

  /** @internal From the interceptor. */
  requestEnded(startedAt: number, error: Error | undefined): void {
    if (startedAt < 0) this.waiting--;
    else {
      this.running--;
      this.useTime.observe(performance.now() - startedAt);
    }
    if (error) {
      this.requestErrors++;
      if (TIMEOUT_CODES.has((error as Error & { code?: string }).code ?? '')) this.timeouts++;
    }
  }

  stats(): PoolStats {
    const s = this.pool.stats;
    const used = Math.max(0, s.connected - s.free);
    return {
      name: this.name,
      kind: this.kind,
      state: this.closed ? 'closed' : 'open',
      min: 0,
      max: this.settings.maxSize,
      size: s.connected,
      used,
      idle: s.free,
      validating: 0,
      creating: 0,
      pending: this.waiting,
      waitingForMs: 0,
      acquireTimeoutMs: this.settings.acquireTimeoutMs ?? this.settings.headersTimeoutMs,
      timeouts: this.timeouts,
      exhausted: 0,
      leaks: 0,
      created: this.created,
      destroyed: this.destroyed,
      errors: { create: this.connectErrors, validate: 0, destroy: 0, broken: this.requestErrors },
      waitTime: this.waitTime.snapshot(),
      useTime: this.useTime.snapshot(),
      createTime: this.createTime.snapshot(),
    };
  }

  /** The upstream's health path (when configured, reused for `healthCheckIntervalMs`), then the pool's load. */
  async probe(signal: AbortSignal, thresholds: PoolHealthThresholds): Promise<HealthSnapshot> {
    const details = { origin: this.originKey };
    const path = this.settings.healthPath;
    if (path) {
      const now = performance.now();
      const cached = this.lastHealth;
      let upstream = cached && now - cached.at < this.settings.healthCheckIntervalMs ? cached.snapshot : undefined;
      if (!upstream) {
        try {
          const response = await this.request({ path, method: 'GET', signal });
          await response.body.dump();
          upstream =
            response.statusCode < 400
              ? healthy({ ...details, statusCode: response.statusCode })
              : pingFailed(`upstream ${this.originKey}${path}`, new Error(`HTTP ${response.statusCode}`), details);
        } catch (error) {
          upstream = pingFailed(
            `upstream ${this.originKey}${path}`,
            new Error(redactString((error as Error).message)),
            details,
          );
        }
        this.lastHealth = { at: performance.now(), snapshot: upstream };
      }
      if (upstream.status === 'unhealthy') return upstream;
    }
    return assessPool(this.stats(), thresholds, details);
  }

  /** Lets in-flight requests finish (up to `timeoutMs`), then destroys what is left. */
  async close(timeoutMs: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
      timer.unref();
    });
    const outcome = await Promise.race([this.pool.close().then(() => 'closed' as const), gaveUp]);
    clearTimeout(timer);
    if (outcome === 'timeout') await this.pool.destroy();
    this.detach();
    this.handle?.release();
  }
}

/** Wraps a request's handler to see when a socket takes it and when its response ends. */
class TimedHandler implements Dispatcher.DispatchHandler {
  private startedAt = -1;
  private done = false;

  constructor(
    private readonly pool: HttpPool,
    private readonly inner: Dispatcher.DispatchHandler,
    private readonly queuedAt: number,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    if (this.startedAt < 0) {
      this.startedAt = performance.now();
      this.pool.requestStarted(this.startedAt - this.queuedAt);
    }
    this.inner.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(...args: Parameters<NonNullable<Dispatcher.DispatchHandler['onRequestUpgrade']>>): void {
    this.finish(undefined);
    this.inner.onRequestUpgrade?.(...args);
  }

  onResponseStart(...args: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseStart']>>): void {
    this.inner.onResponseStart?.(...args);
  }

  onResponseData(...args: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseData']>>): void {
    this.inner.onResponseData?.(...args);
  }

  onResponseEnd(...args: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseEnd']>>): void {
    this.finish(undefined);
    this.inner.onResponseEnd?.(...args);
  }

  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.finish(error);
    this.inner.onResponseError?.(controller, error);
  }

  private finish(error: Error | undefined): void {
    if (this.done) return;
    this.done = true;
    this.pool.requestEnded(this.startedAt, error);
  }
}

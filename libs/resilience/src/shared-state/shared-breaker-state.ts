import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';

import { RedactingLogger } from '@ballast/core';
import { Redis, type RedisOptions } from 'ioredis';

import type { Breaker, RemoteBreakerState } from '../breaker/breaker.js';
import type { BreakerStateEvent } from '../resilience.events.js';
import type { ResilienceOptions } from '../resilience.options.js';
import type { ResilienceRuntime } from '../resilience.runtime.js';

/** What goes over the channel: one breaker's state as one instance decided it. */
export interface SharedStateMessage {
  readonly v: 1;
  readonly instance: string;
  readonly breaker: string;
  /** `reset` ends an operator state too; `forced-open`, `disabled`, `metrics-only` are operator states. */
  readonly state: RemoteBreakerState;
  /** For `open`: how long the sender will keep it open. */
  readonly openForMs?: number;
  /** Sender's epoch ms, to take the transit time off `openForMs`. */
  readonly at: number;
}

/**
 * Upper bounds (seconds) of the propagation-lag histogram: fine between 1 and 100 ms, where the
 * goal is. The lag is read from `Date.now()`, so its resolution is 1 ms.
 */
export const SHARED_STATE_LAG_BUCKETS_SECONDS = [
  0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5,
] as const;
const LAG_BOUNDS_MS = SHARED_STATE_LAG_BUCKETS_SECONDS.map((s) => s * 1000);

export class SharedStateStats {
  published = 0;
  publishFailures = 0;
  received = 0;
  applied = 0;
  invalid = 0;
  /** Per bucket of SHARED_STATE_LAG_BUCKETS_SECONDS, not cumulative (prom-client adds them up when it prints). */
  readonly lagCounts: number[] = SHARED_STATE_LAG_BUCKETS_SECONDS.map(() => 0);
  lagCount = 0;
  lagSumSeconds = 0;

  /** A remote message applied `lagMs` after its sender stamped it. */
  observeLag(lagMs: number): void {
    this.lagCount++;
    this.lagSumSeconds += lagMs / 1000;
    const bucket = LAG_BOUNDS_MS.findIndex((bound) => lagMs <= bound);
    if (bucket >= 0) this.lagCounts[bucket]!++;
  }
}

const CONNECT_TIMEOUT_MS = 2_000;
const REMOTE_STATES = new Set<string>(['open', 'closed', 'forced-open', 'disabled', 'metrics-only', 'reset']);

function isMessage(value: unknown): value is SharedStateMessage {
  const m = value as SharedStateMessage;
  return (
    typeof m === 'object' &&
    m !== null &&
    m.v === 1 &&
    typeof m.instance === 'string' &&
    typeof m.breaker === 'string' &&
    // Same rule as breaker names elsewhere: a message cannot create breakers with arbitrary names.
    /^[\w.:/@-]{1,200}$/.test(m.breaker) &&
    REMOTE_STATES.has(m.state) &&
    typeof m.at === 'number' &&
    (m.openForMs === undefined || (typeof m.openForMs === 'number' && m.openForMs >= 0))
  );
}

/**
 * Breaker state shared between instances through Redis pub/sub. A local transition to open or
 * closed is published (fire and forget, never on the call path); a message from another instance
 * opens the local breaker of that name, or closes it if it was opened remotely. An open breaker is
 * also kept as a key (`<channel>:open:<breaker>`, expiring when the breaker would half-open), so an
 * instance that starts, or reconnects, while a breaker is open learns it at once. Redis being away
 * only stops the sharing: publishing fails at once (no offline queue), calls go on, and the
 * subscriber reconnects and resubscribes by itself.
 */
export class SharedBreakerState {
  readonly stats = new SharedStateStats();
  readonly instanceId: string;
  private publisher: Redis | undefined;
  private subscriber: Redis | undefined;
  private ownsPublisher = false;
  private unsubscribe: (() => void) | undefined;
  private readonly logger = new RedactingLogger('ResilienceSharedState');
  private lastErrorLog = 0;
  private readonly onReady = (): void => void this.catchUp();

  constructor(
    private readonly runtime: ResilienceRuntime,
    private readonly options: ResilienceOptions['sharedState'],
  ) {
    this.instanceId = options.instanceId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  }

  get connected(): boolean {
    return this.publisher?.status === 'ready' && this.subscriber?.status === 'ready';
  }

  async start(): Promise<void> {
    const clientOptions: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: CONNECT_TIMEOUT_MS,
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000) + Math.floor(Math.random() * 100),
    };
    if (this.options.client) {
      this.publisher = this.options.client;
      this.subscriber = this.options.client.duplicate({ ...clientOptions, enableOfflineQueue: true });
    } else {
      this.publisher = new Redis(this.options.redisUrl!, { ...clientOptions, connectionName: 'ballast-breakers-pub' });
      this.subscriber = new Redis(this.options.redisUrl!, {
        ...clientOptions,
        // Subscriptions are replayed on reconnect; they must be accepted while connecting.
        enableOfflineQueue: true,
        connectionName: 'ballast-breakers-sub',
      });
      this.ownsPublisher = true;
      this.publisher.on('error', (error: Error) => this.logRedisError(error));
    }
    this.subscriber.on('error', (error: Error) => this.logRedisError(error));
    this.subscriber.on('message', (_channel: string, raw: string) => this.receive(raw));
    // 'ready' comes again after every reconnect: what opened meanwhile is read from the keys,
    // once both connections are up (whichever is ready last does it).
    this.subscriber.on('ready', this.onReady);
    this.publisher.on('ready', this.onReady);
    this.unsubscribe = this.runtime.onTransition((breaker, event) => this.publish(breaker, event));
    try {
      await Promise.all([
        this.ownsPublisher ? this.publisher.connect() : Promise.resolve(),
        this.subscriber.connect().then(() => this.subscriber!.subscribe(this.options.channel)),
      ]);
    } catch (error) {
      // Not fatal: the instance works alone until Redis answers; ioredis keeps reconnecting.
      this.logger.warn(`Shared breaker state is not connected yet: ${(error as Error).message}`);
    }
  }

  async stop(): Promise<void> {
    this.publisher?.off('ready', this.onReady);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    const { publisher, subscriber } = this;
    this.publisher = this.subscriber = undefined;
    subscriber?.disconnect();
    if (publisher && this.ownsPublisher) {
      if (publisher.status === 'ready') await publisher.quit().catch(() => publisher.disconnect());
      else publisher.disconnect();
    }
  }

  private openKey(breaker: string): string {
    return `${this.options.channel}:open:${breaker}`;
  }

  /** Applies every breaker another instance holds open now (startup, reconnect). */
  private async catchUp(): Promise<void> {
    const publisher = this.publisher;
    if (publisher?.status !== 'ready' || this.subscriber?.status !== 'ready') return;
    try {
      let cursor = '0';
      do {
        const [next, keys] = await publisher.scan(cursor, 'MATCH', this.openKey('*'), 'COUNT', 200);
        cursor = next;
        if (keys.length === 0) continue;
        for (const raw of await publisher.mget(...keys)) if (raw !== null) this.receive(raw);
      } while (cursor !== '0' && this.publisher === publisher);
    } catch (error) {
      this.logRedisError(error as Error);
    }
  }

  private publish(breaker: Breaker, event: BreakerStateEvent): void {
    if (event.origin !== 'local' || breaker.key !== undefined || !breaker.config.shareState) return;
    // half-open and shutdown are each instance's own business.
    if (event.to === 'half-open' || event.to === 'shutdown') return;
    const publisher = this.publisher;
    if (publisher === undefined) return;
    const state: RemoteBreakerState = event.to === 'closed' && event.reason === 'reset' ? 'reset' : event.to;
    const message: SharedStateMessage = {
      v: 1,
      instance: this.instanceId,
      breaker: breaker.name,
      state,
      ...(event.openForMs === undefined ? {} : { openForMs: event.openForMs }),
      at: Date.now(),
    };
    const raw = JSON.stringify(message);
    const key = this.openKey(breaker.name);
    const batch = publisher.multi().publish(this.options.channel, raw);
    // An open key always expires: one left by an instance that died must not hold others open.
    if (event.to === 'open' && event.openForMs !== undefined) {
      batch.set(key, raw, 'PX', Math.max(1, Math.ceil(event.openForMs)));
    } else if (state === 'forced-open' || state === 'disabled' || state === 'metrics-only') {
      // An operator state holds until a reset deletes it: an instance that starts later follows it too.
      batch.set(key, raw);
    } else {
      batch.del(key);
    }
    batch.exec().then(
      () => this.stats.published++,
      (error: Error) => {
        this.stats.publishFailures++;
        this.logRedisError(error);
      },
    );
  }

  private receive(raw: string): void {
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch {
      this.stats.invalid++;
      return;
    }
    if (!isMessage(message)) {
      this.stats.invalid++;
      return;
    }
    if (message.instance === this.instanceId) return;
    this.stats.received++;
    if (this.runtime.isClosed) return;
    let breaker: Breaker;
    try {
      breaker = this.runtime.breakers.get(message.breaker);
    } catch {
      this.stats.invalid++;
      return;
    }
    if (!breaker.config.shareState) return;
    const transit = Math.max(0, Date.now() - message.at);
    const openForMs = message.openForMs === undefined ? undefined : Math.max(1, message.openForMs - transit);
    if (breaker.applyRemote(message.state, openForMs)) this.stats.applied++;
    // Sender's stamp to applied here: exact on one machine, skewed by the clocks across machines.
    this.stats.observeLag(Math.max(0, Date.now() - message.at));
  }

  private logRedisError(error: Error): void {
    const now = Date.now();
    if (now - this.lastErrorLog < 30_000) return;
    this.lastErrorLog = now;
    this.logger.warn(`Shared breaker state: Redis error (calls are not affected): ${error.message}`);
  }
}

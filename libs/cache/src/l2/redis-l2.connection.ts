import { randomUUID } from 'node:crypto';

import { RedactingLogger, type ResourceHandle, type ResourceRegistry } from '@ballast/core';
import { Redis, type RedisOptions } from 'ioredis';

import type { InvalidationMessage, L2Listener } from './cache-l2.interface.js';
import { InvalidationAcks } from './invalidation-acks.js';
import { registerL2Sockets } from './l2-socket-registration.js';

export interface RedisL2ConnectionOptions {
  readonly url?: string;
  /** An app-owned client to copy settings from; it is duplicated, never used or closed by us. */
  readonly client?: Redis;
  readonly keyPrefix: string;
  readonly channel: string;
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly maxReconnectDelayMs: number;
  /** Writers wait until every other instance acknowledged their invalidation (bounded by ackTimeoutMs). */
  readonly readYourWrites?: boolean;
  readonly ackTimeoutMs?: number;
}

const DEFAULT_ACK_TIMEOUT_MS = 250;

/** Consecutive command failures after which L2 is skipped for a while (a hung, not a dead, Redis). */
const FAILURES_BEFORE_SUSPEND = 3;
const SUSPEND_MS = 1_000;
const QUIT_TIMEOUT_MS = 500;

/**
 * The two Redis connections an L2 needs (commands, and a subscriber for the invalidation channel),
 * shared by every cache of the module. Both fail fast: no offline queue (a default ioredis call
 * stayed pending for more than 12 s with Redis down), a command timeout, and jittered reconnection
 * bounded by `maxReconnectDelayMs` so the link is back soon after Redis is.
 */
export class RedisL2Connection {
  /** Identifies this instance's messages, which it then ignores. */
  readonly instanceId = randomUUID();
  readonly commands: Redis;
  private readonly subscriber: Redis;
  private readonly listeners = new Map<string, L2Listener>();
  private readonly logger = new RedactingLogger('CacheModule');
  private readonly handles: ResourceHandle[] = [];
  private readonly socketRegistrations: (() => void)[] = [];
  /** Where other instances acknowledge this instance's invalidations (read-your-writes). */
  private readonly ackChannel: string;
  private readonly acks: InvalidationAcks;
  private commandsReady = false;
  private linkUp = false;
  private failures = 0;
  private suspendedUntil = 0;
  private closing = false;

  constructor(
    readonly options: RedisL2ConnectionOptions,
    resources?: ResourceRegistry,
  ) {
    this.ackChannel = this.ackChannelOf(this.instanceId);
    this.acks = new InvalidationAcks(this.ackTimeoutMs);
    const overrides: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      // Callers get their answer by commandTimeoutMs (withL2Deadline, which does not count our own
      // event-loop lag against Redis); this only clears commands a hung Redis never answers.
      commandTimeout: Math.max(1_000, options.commandTimeoutMs * 20),
      connectTimeout: options.connectTimeoutMs,
      maxRetriesPerRequest: 0,
      autoResubscribe: false,
      retryStrategy: (attempt) => {
        // ioredis 5 has no jitter of its own; without it every instance reconnects in lockstep.
        const ceiling = Math.min(options.maxReconnectDelayMs, 5 * 2 ** Math.min(attempt, 16));
        return Math.max(1, Math.round(ceiling * (0.5 + Math.random() / 2)));
      },
    };
    this.commands = this.createClient(overrides, 'l2-commands');
    this.subscriber = this.createClient(overrides, 'l2-invalidations');
    for (const client of [this.commands, this.subscriber]) {
      const role = client === this.commands ? 'l2-commands' : 'l2-invalidations';
      const handle = resources?.register(client, {
        type: 'redis-client',
        owner: 'CacheModule',
        longLived: true,
        details: { role },
      });
      if (handle) this.handles.push(handle);
      // The client's sockets too, each under the same owner: a reconnect's new socket is not an unowned one.
      if (resources) this.socketRegistrations.push(registerL2Sockets(client, resources, 'CacheModule', role));
    }
    this.commands.on('ready', () => {
      this.commandsReady = true;
      this.failures = 0;
    });
    this.commands.on('close', () => {
      this.commandsReady = false;
    });
    this.subscriber.on('ready', () => void this.subscribe());
    this.subscriber.on('close', () => this.setLink(false));
    this.subscriber.on('message', (channel: string, raw: string) => {
      if (channel === this.ackChannel) this.acks.received(raw);
      else this.dispatch(raw);
    });
  }

  /** Commands may be sent (connected, and not suspended after repeated timeouts). */
  get available(): boolean {
    return this.commandsReady && (this.suspendedUntil === 0 || Date.now() >= this.suspendedUntil);
  }

  /** The invalidation channel is subscribed. */
  get linked(): boolean {
    return this.linkUp;
  }

  /**
   * Connects both clients, bounded by the connect timeout. Never throws: when Redis is not there
   * the caches run on L1 and ioredis keeps trying in the background.
   */
  async connect(): Promise<boolean> {
    const attempt = Promise.all([this.commands.connect(), this.subscriber.connect()]);
    attempt.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error('no connection within the connect timeout')),
        this.options.connectTimeoutMs,
      );
    });
    try {
      await Promise.race([attempt, deadline]);
      return true;
    } catch (error) {
      this.logger.warn(`Redis L2 unreachable at start (${(error as Error).message}): running on L1 only`);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  listen(cache: string, listener: L2Listener): void {
    this.listeners.set(cache, listener);
  }

  unlisten(cache: string): void {
    this.listeners.delete(cache);
  }

  /** Records a command outcome; repeated failures suspend L2 briefly so callers stop paying timeouts. */
  recordOutcome(ok: boolean): void {
    if (ok) {
      this.failures = 0;
      this.suspendedUntil = 0;
      return;
    }
    if (++this.failures >= FAILURES_BEFORE_SUSPEND) {
      this.suspendedUntil = Date.now() + SUSPEND_MS;
      this.failures = 0;
    }
  }

  /** The wire form of an invalidation sent by this instance. */
  encode(message: Omit<InvalidationMessage, 'origin'>): string {
    return JSON.stringify({ ...message, origin: this.instanceId });
  }

  /** Whether writers wait for the other instances' acknowledgements. */
  get readYourWrites(): boolean {
    return this.options.readYourWrites === true;
  }

  get ackTimeoutMs(): number {
    return this.options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
  }

  /** Opens a wait for acks of an invalidation about to be published with `id`. */
  openAck(): { id: string; done: Promise<boolean> } {
    return this.acks.open();
  }

  /**
   * PUBLISH answered `subscribers` (every subscribed connection, this instance's own included
   * while its link is up): wait for the others' acks.
   */
  expectAcks(id: string, subscribers: number): void {
    this.acks.expect(id, Math.max(0, this.linkUp ? subscribers - 1 : subscribers));
  }

  cancelAck(id: string): void {
    this.acks.cancel(id);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.listeners.clear();
    this.acks.close();
    this.subscriber.disconnect();
    if (this.commands.status === 'ready') {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.commands.quit().catch(() => undefined),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, QUIT_TIMEOUT_MS))),
      ]);
      clearTimeout(timer);
    }
    this.commands.disconnect();
    for (const release of this.socketRegistrations.splice(0)) release();
    for (const handle of this.handles) handle.release();
  }

  private createClient(overrides: RedisOptions, role: string): Redis {
    const client = this.options.client
      ? this.options.client.duplicate(overrides)
      : new Redis(this.options.url ?? 'redis://127.0.0.1:6379', overrides);
    // Without a listener ioredis prints every connection error; the state is tracked and reported
    // instead. ioredis reports each failed reconnect (tens a second at the first backoff steps), so
    // only an outage's first error is logged, at debug: the link-lost warn line already says it.
    let loggedOutage = false;
    client.on('error', (error: Error) => {
      if (this.closing || loggedOutage) return;
      loggedOutage = true;
      this.logger.debug(`Redis L2 ${role}: ${error.message} (further errors until it reconnects are not logged)`);
    });
    client.on('ready', () => (loggedOutage = false));
    return client;
  }

  private async subscribe(): Promise<void> {
    try {
      // The ack channel always: another instance may ask for acks even where this one does not wait.
      await this.subscriber.subscribe(this.options.channel, this.ackChannel);
      this.setLink(true);
    } catch (error) {
      this.logger.warn(`Redis L2 could not subscribe to its invalidation channel: ${(error as Error).message}`);
      // Try again on the next connection: drop this one.
      this.subscriber.disconnect(true);
    }
  }

  private setLink(up: boolean): void {
    if (up === this.linkUp || this.closing) return;
    this.linkUp = up;
    if (up) {
      // Also on the first subscription: until then nothing was heard, so L1 starts over either way.
      this.logger.log('Redis L2 invalidation link up; L1 caches start over');
      for (const listener of this.listeners.values()) listener.onLinkRestored();
    } else {
      this.logger.warn('Redis L2 invalidation link lost: L1 entries are capped to the degraded TTL until it is back');
      for (const listener of this.listeners.values()) listener.onLinkLost();
    }
  }

  private dispatch(raw: string): void {
    let message: InvalidationMessage;
    try {
      message = JSON.parse(raw) as InvalidationMessage;
    } catch {
      return;
    }
    if (message.origin === this.instanceId) return;
    this.listeners.get(message.cache)?.onInvalidate(message);
    // After the L1 drop (synchronous above), and also when no cache here has that name: the sender counts every receiver.
    if (typeof message.ack === 'string' && typeof message.origin === 'string') {
      this.commands.publish(this.ackChannelOf(message.origin), message.ack).catch(() => undefined);
    }
  }

  private ackChannelOf(instanceId: string): string {
    return `${this.options.channel}:ack:${instanceId}`;
  }
}

import { RedactingLogger } from '@ballast/core';

import type { CacheL2, InvalidationMessage, L2Entry, L2Listener } from './cache-l2.interface.js';
import { withL2Deadline } from './l2-command-deadline.js';
import type { RedisL2Connection } from './redis-l2.connection.js';

/** How values cross to Redis; JSON by default (so a Date comes back as a string). */
export interface L2Serializer<V> {
  serialize(value: V): string;
  deserialize(text: string): V;
}

interface Payload {
  /** The serialised value. */
  v: string;
  /** Fresh until / stale until, ms since the epoch; null for no expiry. */
  f: number | null;
  s: number | null;
  t?: readonly string[];
}

const jsonSerializer: L2Serializer<never> = {
  serialize: (value) => JSON.stringify(value),
  deserialize: (text) => JSON.parse(text) as never,
};

const SCAN_BATCH = 500;
/** At most one warn line per cache this often about writes that stopped waiting for acks. */
const ACK_TIMEOUT_LOG_INTERVAL_MS = 10_000;

type Pipeline = ReturnType<RedisL2Connection['commands']['pipeline']>;
type Invalidation = Omit<InvalidationMessage, 'origin' | 'cache'>;

/** Redis glob metacharacters in a literal prefix. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * One cache's view of the shared Redis L2: keys live under `<keyPrefix><cache>:`, and every change
 * is published on the invalidation channel in the same round trip, after the data, so another
 * instance that drops its L1 copy and reads again gets the new value.
 */
export class RedisL2<V> implements CacheL2<V> {
  private readonly prefix: string;
  private readonly serializer: L2Serializer<V>;
  private readonly logger = new RedactingLogger('CacheModule');
  private listener: L2Listener | undefined;
  private lastAckTimeoutLog = 0;
  private unloggedAckTimeouts = 0;

  constructor(
    private readonly connection: RedisL2Connection,
    private readonly cache: string,
    serializer?: L2Serializer<V>,
  ) {
    this.prefix = `${connection.options.keyPrefix}${cache}:`;
    this.serializer = serializer ?? (jsonSerializer as L2Serializer<V>);
  }

  get available(): boolean {
    return this.connection.available;
  }

  async get(key: string): Promise<L2Entry<V> | undefined> {
    const raw = await this.run(() => this.connection.commands.get(this.prefix + key));
    if (raw === null) return undefined;
    const payload = JSON.parse(raw) as Payload;
    return {
      value: this.serializer.deserialize(payload.v),
      freshUntil: payload.f ?? Infinity,
      staleUntil: payload.s ?? Infinity,
      tags: payload.t,
    };
  }

  async has(key: string): Promise<boolean> {
    return (await this.run(() => this.connection.commands.exists(this.prefix + key))) === 1;
  }

  async set(key: string, entry: L2Entry<V>): Promise<void> {
    const payload: Payload = {
      v: this.serializer.serialize(entry.value),
      f: Number.isFinite(entry.freshUntil) ? entry.freshUntil : null,
      s: Number.isFinite(entry.staleUntil) ? entry.staleUntil : null,
      ...(entry.tags?.length ? { t: entry.tags } : {}),
    };
    const text = JSON.stringify(payload);
    const ttl = payload.s === null ? undefined : Math.max(1, Math.ceil(payload.s - Date.now()));
    const pipeline = this.connection.commands.pipeline();
    if (ttl === undefined) pipeline.set(this.prefix + key, text);
    else pipeline.set(this.prefix + key, text, 'PX', ttl);
    for (const tag of entry.tags ?? []) {
      const tagKey = this.tagKey(tag);
      pipeline.sadd(tagKey, key);
      // The tag set must live as long as its longest-lived member: NX gives a new set its first
      // expiry (GT alone treats "no expiry" as infinite and would never set one), GT only extends.
      // A set that also holds a member without TTL is kept persistent until the next finite member.
      if (ttl !== undefined) {
        pipeline.call('PEXPIRE', tagKey, ttl, 'NX');
        pipeline.call('PEXPIRE', tagKey, ttl, 'GT');
      } else {
        pipeline.persist(tagKey);
      }
    }
    await this.publishIn(pipeline, { keys: [key] });
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const pipeline = this.connection.commands.pipeline();
    pipeline.del(...keys.map((key) => this.prefix + key));
    await this.publishIn(pipeline, { keys });
  }

  async invalidatePrefix(prefix: string): Promise<void> {
    await this.unlinkMatching(`${escapeGlob(this.prefix + prefix)}*`);
    await this.publish({ prefix });
  }

  async invalidateTags(tags: readonly string[]): Promise<void> {
    for (const tag of tags) {
      const tagKey = this.tagKey(tag);
      const members = await this.run(() => this.connection.commands.smembers(tagKey));
      const keys = [...members.map((key) => this.prefix + key), tagKey];
      for (let i = 0; i < keys.length; i += SCAN_BATCH) {
        const batch = keys.slice(i, i + SCAN_BATCH);
        await this.run(() => this.connection.commands.unlink(...batch));
      }
    }
    await this.publish({ tags });
  }

  async clear(): Promise<void> {
    await this.unlinkMatching(`${escapeGlob(this.prefix)}*`);
    await this.publish({ clear: true });
  }

  attach(listener: L2Listener): void {
    this.listener = listener;
    this.connection.listen(this.cache, listener);
    if (this.connection.linked) listener.onLinkRestored();
  }

  detach(): void {
    this.connection.unlisten(this.cache);
  }

  private tagKey(tag: string): string {
    return `${this.prefix}#tag:${tag}`;
  }

  private encode(message: Invalidation): string {
    return this.connection.encode({ ...message, cache: this.cache });
  }

  /** Publishes on its own (after the data commands already ran). */
  private publish(message: Invalidation): Promise<void> {
    return this.announce(message, (text) =>
      this.run(() => this.connection.commands.publish(this.connection.options.channel, text)),
    );
  }

  /** Publishes as the last command of `pipeline`, in the same round trip as the data. */
  private publishIn(pipeline: Pipeline, message: Invalidation): Promise<void> {
    return this.announce(message, async (text) => {
      pipeline.publish(this.connection.options.channel, text);
      const results = await this.exec(pipeline);
      const published = results?.[results.length - 1]?.[1];
      return typeof published === 'number' ? published : 0;
    });
  }

  /**
   * Sends the invalidation; with read-your-writes, resolves only once every other subscribed
   * instance acknowledged it (it then has dropped the keys from its L1), or at the ack timeout.
   */
  private async announce(message: Invalidation, send: (text: string) => Promise<number>): Promise<void> {
    if (!this.connection.readYourWrites) {
      await send(this.encode(message));
      return;
    }
    const ack = this.connection.openAck();
    let subscribers: number;
    try {
      subscribers = await send(this.encode({ ...message, ack: ack.id }));
    } catch (error) {
      this.connection.cancelAck(ack.id);
      throw error;
    }
    this.connection.expectAcks(ack.id, subscribers);
    if (!(await ack.done)) this.ackTimedOut();
  }

  private ackTimedOut(): void {
    this.listener?.onAckTimeout();
    const now = Date.now();
    if (now - this.lastAckTimeoutLog < ACK_TIMEOUT_LOG_INTERVAL_MS) {
      this.unloggedAckTimeouts++;
      return;
    }
    const more = this.unloggedAckTimeouts > 0 ? ` (and ${this.unloggedAckTimeouts} more since the last line)` : '';
    this.lastAckTimeoutLog = now;
    this.unloggedAckTimeouts = 0;
    this.logger.warn(
      `Cache ${this.cache}: a write went on without every instance acknowledging its invalidation within ` +
        `${this.connection.ackTimeoutMs} ms${more}; another instance may still serve the old value from L1`,
    );
  }

  private async unlinkMatching(pattern: string): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.run(() =>
        this.connection.commands.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_BATCH),
      );
      cursor = next;
      if (keys.length > 0) await this.run(() => this.connection.commands.unlink(...keys));
    } while (cursor !== '0');
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      const result = await withL2Deadline(command, this.connection.options.commandTimeoutMs);
      this.connection.recordOutcome(true);
      return result;
    } catch (error) {
      this.connection.recordOutcome(false);
      throw error;
    }
  }

  private async exec(pipeline: Pipeline): Promise<[Error | null, unknown][] | null> {
    const results = await this.run(() => pipeline.exec());
    // A failed PEXPIRE NX/GT (Redis < 7) only leaves a tag set without expiry; the data command must have worked.
    const failed = results?.find(([error], index) => error && index === 0);
    if (failed) throw failed[0];
    return results;
  }
}

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
    pipeline.publish(this.connection.options.channel, this.encode({ keys: [key] }));
    await this.exec(pipeline);
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const pipeline = this.connection.commands.pipeline();
    pipeline.del(...keys.map((key) => this.prefix + key));
    pipeline.publish(this.connection.options.channel, this.encode({ keys }));
    await this.exec(pipeline);
  }

  async invalidatePrefix(prefix: string): Promise<void> {
    await this.unlinkMatching(`${escapeGlob(this.prefix + prefix)}*`);
    await this.run(() => this.connection.commands.publish(this.connection.options.channel, this.encode({ prefix })));
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
    await this.run(() => this.connection.commands.publish(this.connection.options.channel, this.encode({ tags })));
  }

  async clear(): Promise<void> {
    await this.unlinkMatching(`${escapeGlob(this.prefix)}*`);
    await this.run(() =>
      this.connection.commands.publish(this.connection.options.channel, this.encode({ clear: true })),
    );
  }

  attach(listener: L2Listener): void {
    this.connection.listen(this.cache, listener);
    if (this.connection.linked) listener.onLinkRestored();
  }

  detach(): void {
    this.connection.unlisten(this.cache);
  }

  private tagKey(tag: string): string {
    return `${this.prefix}#tag:${tag}`;
  }

  private encode(message: Omit<InvalidationMessage, 'origin' | 'cache'>): string {
    return this.connection.encode({ ...message, cache: this.cache });
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

  private async exec(pipeline: ReturnType<RedisL2Connection['commands']['pipeline']>): Promise<void> {
    const results = await this.run(() => pipeline.exec());
    // A failed PEXPIRE NX/GT (Redis < 7) only leaves a tag set without expiry; the data command must have worked.
    const failed = results?.find(([error], index) => error && index === 0);
    if (failed) throw failed[0];
  }
}

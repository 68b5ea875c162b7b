import { Redis, type RedisOptions } from 'ioredis';

import type {
  ClaimOptions,
  DeadLetterRecord,
  DeadLetterErrorInfo,
  DeadLetterStore,
  ListOptions,
  NewDeadLetter,
  PurgeOptions,
} from '../dead-letter.interfaces.js';
import { toJson } from '../describe-error.js';

export interface RedisDeadLetterStoreOptions {
  /** The app's own ioredis client: used, never closed by us. */
  readonly client?: Redis;
  /** Or a URL: we open a client of our own and close it on shutdown. */
  readonly url?: string;
  /** Streams are `<prefix>:q:<queue>`, the set of queues `<prefix>:queues`. */
  readonly keyPrefix: string;
  /** XADD MAXLEN ~ this, per queue. */
  readonly maxEntries: number;
}

interface StoredLetter {
  record: unknown;
  error: DeadLetterErrorInfo;
  meta: Record<string, unknown>;
  attempts: number;
  lastError?: DeadLetterErrorInfo;
  createdAt: string;
  lastAttemptAt?: string;
}

type StreamEntry = [id: string, fields: string[]];

const PAGE = 200;

/**
 * Dead letters in Redis Streams, one stream per queue, capped with `XADD ... MAXLEN ~ maxEntries`.
 * A failed replay re-adds the letter with its attempt count raised and deletes the old entry in one
 * MULTI, so the letter is never absent; it gets a newer id, past the replay's bound, so one replay
 * does not see it twice.
 */
export class RedisDeadLetterStore implements DeadLetterStore {
  readonly kind = 'redis';
  private client: Redis | undefined;
  private owned = false;

  constructor(private readonly options: RedisDeadLetterStoreOptions) {
    if (!options.client && !options.url) {
      throw new Error('The Redis dead-letter store needs deadLetter.redis.client or deadLetter.redis.url');
    }
  }

  async init(): Promise<void> {
    if (this.options.client) {
      this.client = this.options.client;
    } else {
      const redisOptions: RedisOptions = {
        lazyConnect: true,
        // Writes fail at once while Redis is away instead of queueing in memory without bound.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectionName: 'ballast-dead-letters',
      };
      this.client = new Redis(this.options.url!, redisOptions);
      this.client.on('error', () => undefined); // surfaced through failed commands and the health check
      this.owned = true;
      await this.client.connect();
    }
    await this.client.ping();
  }

  async add(letter: NewDeadLetter): Promise<string> {
    const stored: StoredLetter = {
      record: letter.record,
      error: letter.error,
      meta: { ...letter.meta },
      attempts: 0,
      createdAt: letter.createdAt.toISOString(),
    };
    const results = await this.redis()
      .multi()
      .xadd(this.key(letter.queue), 'MAXLEN', '~', this.options.maxEntries, '*', 'letter', toJson(stored))
      .sadd(this.queuesKey(), letter.queue)
      .exec();
    const [error, id] = results?.[0] ?? [new Error('XADD returned nothing')];
    if (error) throw error;
    return String(id);
  }

  async list(queue: string, { limit, afterId }: ListOptions): Promise<DeadLetterRecord[]> {
    const entries = (await this.redis().xrange(
      this.key(queue),
      afterId === undefined ? '-' : `(${afterId}`,
      '+',
      'COUNT',
      limit,
    )) as StreamEntry[];
    return entries.map((entry) => this.toLetter(queue, entry));
  }

  async get(queue: string, id: string): Promise<DeadLetterRecord | undefined> {
    const entries = (await this.redis().xrange(this.key(queue), id, id)) as StreamEntry[];
    return entries[0] === undefined ? undefined : this.toLetter(queue, entries[0]);
  }

  async replayBound(queue: string): Promise<string | undefined> {
    const last = (await this.redis().xrevrange(this.key(queue), '+', '-', 'COUNT', 1)) as StreamEntry[];
    return last[0]?.[0];
  }

  async claim(queue: string, { limit, afterId, bound, maxAttempts }: ClaimOptions): Promise<DeadLetterRecord[]> {
    if (bound === undefined) return [];
    const out: DeadLetterRecord[] = [];
    let start = afterId === undefined ? '-' : `(${afterId}`;
    while (out.length < limit) {
      const page = (await this.redis().xrange(this.key(queue), start, bound, 'COUNT', PAGE)) as StreamEntry[];
      for (const entry of page) {
        const letter = this.toLetter(queue, entry);
        if (letter.attempts < maxAttempts) out.push(letter);
        if (out.length >= limit) break;
      }
      if (page.length < PAGE) break;
      start = `(${page[page.length - 1]![0]}`;
    }
    return out;
  }

  async remove(queue: string, id: string): Promise<boolean> {
    return (await this.redis().xdel(this.key(queue), id)) > 0;
  }

  async recordFailure(queue: string, letter: DeadLetterRecord, error: DeadLetterErrorInfo, at: Date): Promise<void> {
    const stored: StoredLetter = {
      record: letter.record,
      error: letter.error,
      meta: { ...letter.meta },
      attempts: letter.attempts + 1,
      lastError: error,
      createdAt: letter.createdAt.toISOString(),
      lastAttemptAt: at.toISOString(),
    };
    const key = this.key(queue);
    const results = await this.redis()
      .multi()
      .xadd(key, 'MAXLEN', '~', this.options.maxEntries, '*', 'letter', toJson(stored))
      .xdel(key, letter.id)
      .exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
  }

  async purge(queue: string, { olderThan, ids }: PurgeOptions): Promise<number> {
    const key = this.key(queue);
    if (olderThan === undefined && ids === undefined) {
      const count = await this.redis().xlen(key);
      await this.redis().del(key);
      return count;
    }
    const only = ids === undefined ? undefined : new Set(ids);
    const doomed: string[] = [];
    let start = '-';
    for (;;) {
      const page = (await this.redis().xrange(key, start, '+', 'COUNT', PAGE)) as StreamEntry[];
      for (const entry of page) {
        const letter = this.toLetter(queue, entry);
        if (only !== undefined && !only.has(letter.id)) continue;
        if (olderThan !== undefined && letter.createdAt >= olderThan) continue;
        doomed.push(letter.id);
      }
      if (page.length < PAGE) break;
      start = `(${page[page.length - 1]![0]}`;
    }
    let removed = 0;
    for (let i = 0; i < doomed.length; i += PAGE) removed += await this.redis().xdel(key, ...doomed.slice(i, i + PAGE));
    return removed;
  }

  async count(queue: string): Promise<number> {
    return this.redis().xlen(this.key(queue));
  }

  async queues(): Promise<string[]> {
    return (await this.redis().smembers(this.queuesKey())).sort();
  }

  async trim(queue: string, { olderThan, maxEntries }: { olderThan: Date; maxEntries: number }): Promise<number> {
    const key = this.key(queue);
    // Stream ids start with their creation time in ms: MINID drops what was added before `olderThan`.
    const aged = await this.redis().xtrim(key, 'MINID', '~', `${olderThan.getTime()}-0`);
    const surplus = await this.redis().xtrim(key, 'MAXLEN', '~', maxEntries);
    return Number(aged) + Number(surplus);
  }

  async ping(): Promise<void> {
    await this.redis().ping();
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!this.owned || client === undefined) return;
    if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
    else client.disconnect();
  }

  private toLetter(queue: string, [id, fields]: StreamEntry): DeadLetterRecord {
    const index = fields.indexOf('letter');
    const stored = JSON.parse(fields[index + 1] ?? '{}') as StoredLetter;
    return {
      id,
      queue,
      record: stored.record,
      error: stored.error,
      meta: stored.meta ?? {},
      attempts: stored.attempts ?? 0,
      ...(stored.lastError ? { lastError: stored.lastError } : {}),
      createdAt: new Date(stored.createdAt),
      ...(stored.lastAttemptAt ? { lastAttemptAt: new Date(stored.lastAttemptAt) } : {}),
    };
  }

  private key(queue: string): string {
    return `${this.options.keyPrefix}:q:${queue}`;
  }

  private queuesKey(): string {
    return `${this.options.keyPrefix}:queues`;
  }

  private redis(): Redis {
    if (this.client === undefined) throw new Error('The Redis dead-letter store is not initialized or closed');
    return this.client;
  }
}

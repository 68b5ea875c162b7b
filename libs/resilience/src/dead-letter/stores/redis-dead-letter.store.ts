import { randomBytes } from 'node:crypto';

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
  /** Streams are `<prefix>:q:<queue>`, the set of queues `<prefix>:queues`, leases `<prefix>:lease:<queue>:<id>`. */
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
 * Leases the letters that still exist: KEYS = [stream, lease key per id], ARGV = [owner, leaseMs,
 * id...]. Checking and leasing in one script matters: a replayer whose XRANGE page is a moment old
 * would otherwise lease (and deliver again) a letter another replayer just delivered and deleted.
 */
const LEASE_SCRIPT = `local got = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  if #redis.call('XRANGE', KEYS[1], id, id) > 0 and redis.call('SET', KEYS[i - 1], ARGV[1], 'PX', ARGV[2], 'NX') then
    got[#got + 1] = id
  end
end
return got`;

/**
 * Dead letters in Redis Streams, one stream per queue, capped with `XADD ... MAXLEN ~ maxEntries`.
 * A failed replay re-adds the letter with its attempt count raised and deletes the old entry in one
 * MULTI, so the letter is never absent; it gets a newer id, past the replay's bound, so one replay
 * does not see it twice.
 *
 * Replays from several instances at once: a claimed letter is leased with `SET <lease key> <owner>
 * NX PX leaseMs` (in a script that first checks the letter still exists), so another replayer skips it while the lease holds, and a replayer that died
 * mid-delivery leaves a lease that simply expires: the letter is claimable again after `leaseMs`.
 * (A consumer group was the other candidate; its single last-delivered id per group does not fit a
 * replay that skips parked letters and leaves re-queued failures for the next replay: an entry
 * acknowledged as parked would never be offered to a later replay with a higher `maxAttempts`.)
 */
export class RedisDeadLetterStore implements DeadLetterStore {
  readonly kind = 'redis';
  private client: Redis | undefined;
  private owned = false;
  /** Who holds a lease: this store instance (a process may hold several). */
  private readonly owner = `${process.pid}:${randomBytes(6).toString('hex')}`;

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

  async claim(
    queue: string,
    { limit, afterId, bound, maxAttempts, leaseMs }: ClaimOptions,
  ): Promise<DeadLetterRecord[]> {
    if (bound === undefined) return [];
    const out: DeadLetterRecord[] = [];
    let start = afterId === undefined ? '-' : `(${afterId}`;
    while (out.length < limit) {
      const page = (await this.redis().xrange(this.key(queue), start, bound, 'COUNT', PAGE)) as StreamEntry[];
      const candidates = page.map((entry) => this.toLetter(queue, entry)).filter((l) => l.attempts < maxAttempts);
      // Lease candidates a few at a time in one round trip each; only those whose lease we got are
      // ours, and the ones other replayers hold are skipped for the next.
      for (let i = 0; i < candidates.length && out.length < limit;) {
        const wanted = candidates.slice(i, i + (limit - out.length));
        i += wanted.length;
        const ids = wanted.map((letter) => letter.id);
        const leaseKeys = ids.map((id) => this.leaseKey(queue, id));
        const got = new Set(
          (await this.redis().eval(
            LEASE_SCRIPT,
            1 + ids.length,
            this.key(queue),
            ...leaseKeys,
            this.owner,
            leaseMs,
            ...ids,
          )) as string[],
        );
        for (const letter of wanted) if (got.has(letter.id)) out.push(letter);
      }
      if (page.length < PAGE) break;
      start = `(${page[page.length - 1]![0]}`;
    }
    return out;
  }

  async remove(queue: string, id: string): Promise<boolean> {
    const results = await this.redis().multi().xdel(this.key(queue), id).del(this.leaseKey(queue, id)).exec();
    return Number(results?.[0]?.[1] ?? 0) > 0;
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
      .del(this.leaseKey(queue, letter.id))
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

  private leaseKey(queue: string, id: string): string {
    return `${this.options.keyPrefix}:lease:${queue}:${id}`;
  }

  private queuesKey(): string {
    return `${this.options.keyPrefix}:queues`;
  }

  private redis(): Redis {
    if (this.client === undefined) throw new Error('The Redis dead-letter store is not initialized or closed');
    return this.client;
  }
}

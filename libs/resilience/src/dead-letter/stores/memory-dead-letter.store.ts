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

interface Entry {
  letter: DeadLetterRecord;
  seq: number;
  leasedUntil: number;
}

/**
 * Dead letters in process memory, at most `maxEntries` per queue: when full, the oldest letter is
 * dropped (and counted in `dropped`). For tests, development and apps that accept losing letters
 * on restart; use Postgres or Redis Streams otherwise.
 */
export class MemoryDeadLetterStore implements DeadLetterStore {
  readonly kind = 'memory';
  /** Letters dropped to stay within maxEntries, per queue. */
  readonly dropped = new Map<string, number>();
  private readonly queuesByName = new Map<string, Map<string, Entry>>();
  private seq = 0;

  constructor(private readonly maxEntries: number) {}

  async init(): Promise<void> {}

  async add(letter: NewDeadLetter): Promise<string> {
    const seq = ++this.seq;
    const id = String(seq);
    const entries = this.entries(letter.queue);
    // A JSON copy, as the other stores keep: later changes to the caller's object do not reach the letter.
    const copy = JSON.parse(toJson({ record: letter.record ?? null, meta: letter.meta })) as Pick<
      DeadLetterRecord,
      'record' | 'meta'
    >;
    entries.set(id, { letter: { ...letter, ...copy, id, attempts: 0 }, seq, leasedUntil: 0 });
    while (entries.size > this.maxEntries) {
      const oldest = entries.keys().next().value as string;
      entries.delete(oldest);
      this.dropped.set(letter.queue, (this.dropped.get(letter.queue) ?? 0) + 1);
    }
    return id;
  }

  async list(queue: string, { limit, afterId }: ListOptions): Promise<DeadLetterRecord[]> {
    const after = afterId === undefined ? 0 : Number(afterId);
    const out: DeadLetterRecord[] = [];
    for (const entry of this.entries(queue).values()) {
      if (out.length >= limit) break;
      if (entry.seq > after) out.push(entry.letter);
    }
    return out;
  }

  async get(queue: string, id: string): Promise<DeadLetterRecord | undefined> {
    return this.queuesByName.get(queue)?.get(id)?.letter;
  }

  async replayBound(): Promise<string | undefined> {
    return String(this.seq);
  }

  async claim(
    queue: string,
    { limit, afterId, bound, maxAttempts, leaseMs }: ClaimOptions,
  ): Promise<DeadLetterRecord[]> {
    const after = afterId === undefined ? 0 : Number(afterId);
    const until = bound === undefined ? Infinity : Number(bound);
    const now = Date.now();
    const out: DeadLetterRecord[] = [];
    for (const entry of this.entries(queue).values()) {
      if (out.length >= limit) break;
      if (entry.seq <= after || entry.seq > until) continue;
      if (entry.letter.attempts >= maxAttempts || entry.leasedUntil > now) continue;
      entry.leasedUntil = now + leaseMs;
      out.push(entry.letter);
    }
    return out;
  }

  async remove(queue: string, id: string): Promise<boolean> {
    return this.queuesByName.get(queue)?.delete(id) ?? false;
  }

  async recordFailure(queue: string, letter: DeadLetterRecord, error: DeadLetterErrorInfo, at: Date): Promise<void> {
    const entry = this.queuesByName.get(queue)?.get(letter.id);
    if (entry === undefined) return;
    entry.letter = { ...entry.letter, attempts: entry.letter.attempts + 1, lastError: error, lastAttemptAt: at };
    entry.leasedUntil = 0;
  }

  async purge(queue: string, { olderThan, ids }: PurgeOptions): Promise<number> {
    const entries = this.queuesByName.get(queue);
    if (entries === undefined) return 0;
    const only = ids === undefined ? undefined : new Set(ids);
    let removed = 0;
    for (const [id, entry] of entries) {
      if (only !== undefined && !only.has(id)) continue;
      if (olderThan !== undefined && entry.letter.createdAt >= olderThan) continue;
      entries.delete(id);
      removed++;
    }
    return removed;
  }

  async count(queue: string): Promise<number> {
    return this.queuesByName.get(queue)?.size ?? 0;
  }

  async queues(): Promise<string[]> {
    return [...this.queuesByName.keys()];
  }

  async trim(queue: string, { olderThan, maxEntries }: { olderThan: Date; maxEntries: number }): Promise<number> {
    let removed = await this.purge(queue, { olderThan });
    const entries = this.queuesByName.get(queue);
    while (entries !== undefined && entries.size > maxEntries) {
      entries.delete(entries.keys().next().value as string);
      removed++;
    }
    return removed;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}

  private entries(queue: string): Map<string, Entry> {
    let entries = this.queuesByName.get(queue);
    if (entries === undefined) {
      entries = new Map();
      this.queuesByName.set(queue, entries);
    }
    return entries;
  }
}

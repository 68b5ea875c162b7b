import type { ResilienceEvents } from '../resilience.events.js';
import type { DeadLetterRecord, DeadLetterStore, PurgeOptions } from './dead-letter.interfaces.js';
import { describeError } from './describe-error.js';
import { redact } from '@ballast/core';

export interface ReplayOptions {
  /** Letters whose replays failed this many times are left alone (parked). Default 5. */
  readonly maxAttempts?: number;
  /** Most letters to hand to the handler in this run. Default: all. */
  readonly limit?: number;
  /** Letters claimed per round trip. Default 100. */
  readonly batchSize?: number;
  /**
   * How long a claimed letter stays hidden from other replays (every store). A batch is leased when
   * it is claimed, so this must cover handling `batchSize` letters; a replayer that dies leaves its
   * letters to the others after this long. Default 60 s.
   */
  readonly leaseMs?: number;
}

export interface ReplayResult {
  /** Handled and removed. */
  readonly succeeded: number;
  /** Handler threw: kept, with attempts + 1 and the error. */
  readonly failed: number;
  /** Letters left in the queue afterwards. */
  readonly remaining: number;
}

export type ReplayHandler<T> = (record: T, letter: DeadLetterRecord<T>) => unknown;

export class DeadLetterQueueStats {
  sent = 0;
  sendFailures = 0;
  replaySucceeded = 0;
  replayFailed = 0;
  purged = 0;
  /** Last known size (refreshed on list/count/replay and by the purge run). */
  size = 0;
}

export interface DeadLetterSettings {
  readonly includeStack: boolean;
  readonly maxEntries: number;
  readonly retentionMs: number;
}

/** One named dead-letter queue. Everything that enters it goes through `redact()` first. */
export class DeadLetterQueue<T = unknown> {
  readonly stats = new DeadLetterQueueStats();

  constructor(
    readonly name: string,
    private readonly store: DeadLetterStore,
    private readonly settings: DeadLetterSettings,
    private readonly events?: ResilienceEvents,
  ) {}

  /** Keeps `record` with the error that stopped it and any context; returns its id. */
  async send(record: T, error: unknown, meta: Record<string, unknown> = {}): Promise<string> {
    try {
      const id = await this.store.add({
        queue: this.name,
        record: redact(record),
        error: describeError(error, this.settings.includeStack),
        meta: redact(meta),
        createdAt: new Date(),
      });
      this.stats.sent++;
      this.events?.publish('dead-letter', { queue: this.name, id });
      return id;
    } catch (storeError) {
      this.stats.sendFailures++;
      throw storeError;
    }
  }

  /** Oldest first; pass the last id as `afterId` for the next page. */
  async list(options: { limit?: number; afterId?: string } = {}): Promise<DeadLetterRecord<T>[]> {
    return (await this.store.list(this.name, {
      limit: options.limit ?? 100,
      afterId: options.afterId,
    })) as DeadLetterRecord<T>[];
  }

  async get(id: string): Promise<DeadLetterRecord<T> | undefined> {
    return (await this.store.get(this.name, id)) as DeadLetterRecord<T> | undefined;
  }

  async count(): Promise<number> {
    const size = await this.store.count(this.name);
    this.stats.size = size;
    return size;
  }

  /**
   * Hands each letter (oldest first) to `handler`. A letter is removed only after its handler
   * resolved; when the handler throws, the letter stays with its attempt count raised and the
   * error recorded, and the replay goes on with the next one. Letters added while the replay runs
   * are left for the next replay.
   */
  async replay(handler: ReplayHandler<T>, options: ReplayOptions = {}): Promise<ReplayResult> {
    const maxAttempts = options.maxAttempts ?? 5;
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const batchSize = Math.max(1, Math.min(options.batchSize ?? 100, 10_000));
    const leaseMs = options.leaseMs ?? 60_000;
    const bound = await this.store.replayBound(this.name);
    let afterId: string | undefined;
    let succeeded = 0;
    let failed = 0;
    while (succeeded + failed < limit) {
      const batch = await this.store.claim(this.name, {
        limit: Math.min(batchSize, limit - succeeded - failed),
        afterId,
        bound,
        maxAttempts,
        leaseMs,
      });
      if (batch.length === 0) break;
      for (const letter of batch as DeadLetterRecord<T>[]) {
        afterId = letter.id;
        try {
          await handler(letter.record, letter);
        } catch (error) {
          failed++;
          this.stats.replayFailed++;
          await this.store.recordFailure(
            this.name,
            letter,
            describeError(error, this.settings.includeStack),
            new Date(),
          );
          continue;
        }
        succeeded++;
        this.stats.replaySucceeded++;
        await this.store.remove(this.name, letter.id);
      }
    }
    return { succeeded, failed, remaining: await this.count() };
  }

  /** Deletes letters: all of the queue, those older than a date, or the given ids. */
  async purge(options: PurgeOptions = {}): Promise<number> {
    const removed = await this.store.purge(this.name, options);
    this.stats.purged += removed;
    return removed;
  }
}

/**
 * The dead-letter queues of the app, on one store. `queue(name)` gives a queue; `send` is the
 * shortcut the `@DeadLetterRecord` decorator uses.
 */
export class DeadLetterService {
  private readonly byName = new Map<string, DeadLetterQueue>();

  constructor(
    readonly store: DeadLetterStore,
    private readonly settings: DeadLetterSettings,
    private readonly events?: ResilienceEvents,
  ) {}

  queue<T = unknown>(name: string): DeadLetterQueue<T> {
    if (!/^[\w.:/@-]{1,200}$/.test(name)) {
      throw new Error(`Dead-letter queue name "${name}" must be 1-200 of letters, digits and . : / @ _ -`);
    }
    let queue = this.byName.get(name);
    if (queue === undefined) {
      queue = new DeadLetterQueue(name, this.store, this.settings, this.events);
      this.byName.set(name, queue);
    }
    return queue as DeadLetterQueue<T>;
  }

  send(queue: string, record: unknown, error: unknown, meta?: Record<string, unknown>): Promise<string> {
    return this.queue(queue).send(record, error, meta);
  }

  /** Queues used by this instance so far (the store may know more: `store.queues()`). */
  known(): DeadLetterQueue[] {
    return [...this.byName.values()];
  }

  /** Retention over every queue the store knows; returns how many letters went. */
  async trim(now = Date.now()): Promise<number> {
    let removed = 0;
    const olderThan = new Date(now - this.settings.retentionMs);
    for (const name of await this.store.queues()) {
      const queue = this.queue(name);
      const dropped = await this.store.trim(name, { olderThan, maxEntries: this.settings.maxEntries });
      queue.stats.purged += dropped;
      removed += dropped;
      await queue.count();
    }
    return removed;
  }
}

/** What is kept of the error that sent a record to the dead-letter queue (already redacted). */
export interface DeadLetterErrorInfo {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly status?: number;
  /** Only when `deadLetter.includeStack` is on. */
  readonly stack?: string;
}

/** A record that could not be processed, with why, and what replays made of it. */
export interface DeadLetterRecord<T = unknown> {
  readonly id: string;
  readonly queue: string;
  readonly record: T;
  readonly error: DeadLetterErrorInfo;
  readonly meta: Readonly<Record<string, unknown>>;
  /** Replays that failed so far. */
  readonly attempts: number;
  readonly lastError?: DeadLetterErrorInfo;
  readonly createdAt: Date;
  readonly lastAttemptAt?: Date;
}

export interface NewDeadLetter {
  readonly queue: string;
  readonly record: unknown;
  readonly error: DeadLetterErrorInfo;
  readonly meta: Readonly<Record<string, unknown>>;
  readonly createdAt: Date;
}

export interface ListOptions {
  /** Most letters to return (oldest first). */
  readonly limit: number;
  /** Continue after this id (the last id of the previous page). */
  readonly afterId?: string;
}

export interface ClaimOptions {
  readonly limit: number;
  readonly afterId?: string;
  /** From `replayBound()`: letters added after the replay started (including re-queued failures) are left for the next one. */
  readonly bound: string | undefined;
  /** Letters that failed this many replays are left alone (parked). */
  readonly maxAttempts: number;
  /** How long a claimed letter is hidden from other replays (stores that support it). */
  readonly leaseMs: number;
}

export interface PurgeOptions {
  /** Only letters created before this date. */
  readonly olderThan?: Date;
  /** Only these ids. */
  readonly ids?: readonly string[];
}

/**
 * Where dead letters live. Every method is per queue; a store never drops a letter except through
 * `remove`, `purge` and `trim` (and its documented size bound). `replay` is built on
 * `claim`/`remove`/`recordFailure` so that a letter is only removed after its handler succeeded.
 */
export interface DeadLetterStore {
  readonly kind: 'memory' | 'postgres' | 'redis' | (string & {});
  /** Opens connections, creates the table or checks the server. */
  init(): Promise<void>;
  add(letter: NewDeadLetter): Promise<string>;
  list(queue: string, options: ListOptions): Promise<DeadLetterRecord[]>;
  get(queue: string, id: string): Promise<DeadLetterRecord | undefined>;
  replayBound(queue: string): Promise<string | undefined>;
  claim(queue: string, options: ClaimOptions): Promise<DeadLetterRecord[]>;
  remove(queue: string, id: string): Promise<boolean>;
  recordFailure(queue: string, letter: DeadLetterRecord, error: DeadLetterErrorInfo, at: Date): Promise<void>;
  purge(queue: string, options: PurgeOptions): Promise<number>;
  count(queue: string): Promise<number>;
  /** Queues that hold or held letters. */
  queues(): Promise<string[]>;
  /** Retention: drops letters older than `olderThan` and the oldest beyond `maxEntries`. */
  trim(queue: string, options: { readonly olderThan: Date; readonly maxEntries: number }): Promise<number>;
  /** Throws when the backing server does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

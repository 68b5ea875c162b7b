/** What another instance must drop from its L1. Exactly one of the fields is set. */
export interface InvalidationMessage {
  /** Id of the instance that sent it; an instance ignores its own messages. */
  readonly origin: string;
  readonly cache: string;
  readonly keys?: readonly string[];
  readonly prefix?: string;
  readonly tags?: readonly string[];
  readonly clear?: true;
  /**
   * Set when the sender waits for read-your-writes: every receiver acknowledges this id, after it
   * has dropped the keys from its L1, on the sender's ack channel.
   */
  readonly ack?: string;
}

/** An entry as the shared tier keeps it: absolute times, so every instance expires it at once. */
export interface L2Entry<V> {
  readonly value: V;
  /** Fresh until, in ms since the epoch (`Infinity` without TTL). */
  readonly freshUntil: number;
  /** Servable as stale until (>= freshUntil). */
  readonly staleUntil: number;
  readonly tags?: readonly string[];
}

/** What the L2 reports to the cache it serves. */
export interface L2Listener {
  /** Another instance changed something this cache may hold. */
  onInvalidate(message: InvalidationMessage): void;
  /** The invalidation link is down: messages may be missed from now on. */
  onLinkLost(): void;
  /** The link is back; whatever was missed meanwhile is unknown. */
  onLinkRestored(): void;
  /** A write of this cache stopped waiting for acknowledgements (read-your-writes) at the ack timeout. */
  onAckTimeout(): void;
}

/**
 * A shared second tier behind an `AsyncTTLCache`. Every method may reject (the cache counts the
 * error and answers from L1 or the loader); none may hang: implementations bound every call.
 */
export interface CacheL2<V> {
  /** False while the tier is known to be unreachable: the cache then does not even try it. */
  readonly available: boolean;
  get(key: string): Promise<L2Entry<V> | undefined>;
  has(key: string): Promise<boolean>;
  /** Stores the entry and tells every other instance to drop the key. */
  set(key: string, entry: L2Entry<V>): Promise<void>;
  delete(keys: readonly string[]): Promise<void>;
  invalidatePrefix(prefix: string): Promise<void>;
  invalidateTags(tags: readonly string[]): Promise<void>;
  clear(): Promise<void>;
  /** Called once by the cache that owns this tier. */
  attach(listener: L2Listener): void;
  /** Detaches from the shared connection (which its owner closes). */
  detach(): void;
}

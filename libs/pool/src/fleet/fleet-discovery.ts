import type { Redis } from 'ioredis';

import type { PoolLogger } from '../resource-pool/resource-pool.options.js';

const KEY_PREFIX = 'ballast:fleet:';
/** An announcement not renewed for this many heartbeats no longer counts. */
const MISSED_BEATS = 3;

/**
 * Counts the instances sharing a server through Redis: each instance keeps its id in a sorted set
 * per server (`ballast:fleet:<server>`), scored with the time its announcement expires, renews it
 * every heartbeat and removes it on shutdown. Live members are those not yet expired, so an
 * instance that died stops counting after {@link MISSED_BEATS} heartbeats. While Redis is away the
 * last count stands (the larger of it and the option keeps advice on the safe side).
 */
export class FleetDiscovery {
  private readonly counts = new Map<string, number>();
  private readonly servers = new Set<string>();
  private failing = false;

  constructor(
    private readonly redis: Redis,
    readonly instanceId: string,
    private readonly heartbeatMs: number,
    private readonly logger: PoolLogger,
  ) {}

  /** Announces this instance as a user of `server` from the next heartbeat on. */
  join(server: string): void {
    this.servers.add(server);
  }

  /** Live instances of `server` seen at the last heartbeat (this one included); undefined before the first. */
  count(server: string): number | undefined {
    return this.counts.get(server);
  }

  /** Renews every announcement and recounts; never throws. */
  async beat(): Promise<void> {
    const now = Date.now();
    const ttl = this.heartbeatMs * MISSED_BEATS;
    try {
      for (const server of this.servers) {
        const key = KEY_PREFIX + server;
        const replies = await this.redis
          .multi()
          .zadd(key, now + ttl, this.instanceId)
          .zremrangebyscore(key, '-inf', now)
          .zcard(key)
          .pexpire(key, ttl)
          .exec();
        const card = Number(replies?.[2]?.[1]);
        if (Number.isFinite(card) && card > 0) this.counts.set(server, card);
      }
      if (this.failing) this.logger.log('Fleet discovery: Redis answers again');
      this.failing = false;
    } catch (error) {
      if (!this.failing) {
        this.logger.warn(
          `Fleet discovery: could not renew this instance's announcement (${(error as Error)?.message}); keeping the last counts`,
        );
      }
      this.failing = true;
    }
  }

  /** Removes this instance's announcements, so the others count one less at once. */
  async leave(): Promise<void> {
    await Promise.all(
      [...this.servers].map((server) => this.redis.zrem(KEY_PREFIX + server, this.instanceId).catch(() => undefined)),
    );
  }
}

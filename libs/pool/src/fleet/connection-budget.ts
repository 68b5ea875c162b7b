import type { ServerConnectionLimit } from './server-limits.js';

/** What recommendations, metrics and the start-up check need to know about a pool's server. */
export interface ConnectionBudgetView {
  /** Connections ordinary clients may open on the server (`max_connections` minus reserved), when known. */
  serverLimit(): number | undefined;
  /** Instances sharing the server: the `fleet.instances` option, or more when discovery counted more. */
  instances(): number;
  /**
   * Connections each instance keeps on that server besides this pool's `max`: the database pool's
   * reserved health connection, the Redis client's shared (non-blocking) connection.
   */
  readonly overhead: number;
}

/**
 * The per-instance share of one server's connection limit. Every instance may hold at most
 * `floor(limit / instances)` connections on it, so a pool's `max` may be at most that share minus
 * the instance's other connections to the same server (`overhead`).
 */
export class ConnectionBudget implements ConnectionBudgetView {
  /** Highest instance count a warning was already logged for; warn again only when it grows. */
  warnedAt = 0;

  constructor(
    /** `postgres:host:port` / `redis:host:port`: instances sharing this key share the limit. */
    readonly server: string,
    readonly overhead: number,
    /** The `fleet.instances` option: discovery can raise the count, never lower it below this. */
    private readonly floor: number,
    /** The server's limit as read at start-up. */
    readonly limit: () => ServerConnectionLimit | undefined,
    /** Live instances discovery counted for a server, when it runs. */
    private readonly discovered: (server: string) => number | undefined = () => undefined,
  ) {}

  serverLimit(): number | undefined {
    return this.limit()?.usable;
  }

  instances(): number {
    return Math.max(this.floor, this.discovered(this.server) ?? 0);
  }

  /** The largest `max` this pool may have with every instance at its share; undefined when the limit is unknown. */
  poolCap(): number | undefined {
    return maxPoolSize(this);
  }
}

/** `floor(limit / instances) - overhead` (at least 0), or undefined when the limit is unknown. */
export function maxPoolSize(budget: ConnectionBudgetView): number | undefined {
  const limit = budget.serverLimit();
  if (limit === undefined) return undefined;
  return Math.max(0, Math.floor(limit / budget.instances()) - budget.overhead);
}

/** Connections the whole fleet may open on the server: instances x (max + overhead). */
export function fleetDemand(budget: ConnectionBudgetView, max: number): number {
  return budget.instances() * (max + budget.overhead);
}

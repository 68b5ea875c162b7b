import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

import type { Redis } from 'ioredis';

import type { PoolLogger, PoolScheduler } from '../resource-pool/resource-pool.options.js';
import { ConnectionBudget, fleetDemand, maxPoolSize } from './connection-budget.js';
import { FleetDiscovery } from './fleet-discovery.js';
import type { ServerConnectionLimit } from './server-limits.js';

export interface PoolFleetOptions {
  /** Instances known to share each server (the floor). */
  readonly instances: number;
  /** Count live instances through Redis when a Redis client is configured. */
  readonly discovery: boolean;
  /** Redis client to announce through; the first configured one when unset. */
  readonly discoveryClient?: string;
  readonly heartbeatMs: number;
}

interface BudgetedPool {
  /** `database:main`, `redis:cache`. */
  readonly label: string;
  /** Option path to quote, e.g. `databases.main.maxSize`. */
  readonly maxSetting: string;
  readonly max: number;
  readonly budget: ConnectionBudget;
}

/**
 * The fleet-wide connection budget of every pool: the server's limit, how many instances share it
 * (the option, raised by Redis discovery), one warning when instances x max would exceed it, and
 * the heartbeat that keeps the count current.
 */
export class PoolFleet {
  readonly instanceId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly pools: BudgetedPool[] = [];
  private discovery: FleetDiscovery | undefined;
  private stopHeartbeat: (() => void) | undefined;

  constructor(
    private readonly options: PoolFleetOptions,
    private readonly logger: PoolLogger,
    private readonly scheduler?: PoolScheduler,
  ) {}

  /** A budget for one pool on `server`; `overhead` = the instance's other connections to it. */
  budget(
    pool: { label: string; maxSetting: string; max: number },
    server: string,
    overhead: number,
    limit: () => ServerConnectionLimit | undefined,
  ): ConnectionBudget {
    const budget = new ConnectionBudget(server, overhead, this.options.instances, limit, (key) =>
      this.discovery?.count(key),
    );
    this.pools.push({ ...pool, budget });
    return budget;
  }

  /**
   * Called once every pool is open: joins discovery (first announcement awaited, so instances that
   * already run are counted), then checks each pool's budget, warning once per pool that exceeds it.
   */
  async start(redisClients: ReadonlyMap<string, Redis>): Promise<void> {
    const client = this.options.discoveryClient
      ? redisClients.get(this.options.discoveryClient)
      : redisClients.values().next().value;
    if (this.options.discovery && client) {
      this.discovery = new FleetDiscovery(client, this.instanceId, this.options.heartbeatMs, this.logger);
      for (const pool of this.pools) this.discovery.join(pool.budget.server);
      await this.discovery.beat();
      const task = () => void this.discovery?.beat().then(() => this.check());
      if (this.scheduler) {
        this.stopHeartbeat = this.scheduler.every('ballast-pool-fleet-heartbeat', this.options.heartbeatMs, task);
      } else {
        const timer = setInterval(task, this.options.heartbeatMs);
        timer.unref();
        this.stopHeartbeat = () => clearInterval(timer);
      }
    }
    this.check();
  }

  /** One warning line per pool whose fleet demand exceeds its server's limit, again only if the count grows. */
  check(): void {
    for (const { label, maxSetting, max, budget } of this.pools) {
      const limit = budget.serverLimit();
      const instances = budget.instances();
      if (limit === undefined || instances <= budget.warnedAt) continue;
      const demand = fleetDemand(budget, max);
      if (demand <= limit) continue;
      budget.warnedAt = instances;
      const read = budget.limit()!;
      const limitName =
        read.reserved > 0
          ? `max_connections ${read.max} - ${read.reserved} reserved`
          : `${budget.server.startsWith('redis:') ? 'maxclients' : 'max_connections'} ${read.max}`;
      const extra = budget.overhead > 0 ? ` + ${budget.overhead} outside the pool` : '';
      this.logger.warn(
        `${label}: ${instances} instance(s) x (max ${max}${extra}) = ${demand} connections exceed ${budget.server}'s limit of ${limit} (${limitName}); set ${maxSetting} to at most ${maxPoolSize(budget)} or raise the server's limit`,
      );
    }
  }

  /** Stops the heartbeat and withdraws this instance's announcements (bounded by the client's command timeout). */
  async close(): Promise<void> {
    this.stopHeartbeat?.();
    this.stopHeartbeat = undefined;
    await this.discovery?.leave();
    this.discovery = undefined;
  }
}

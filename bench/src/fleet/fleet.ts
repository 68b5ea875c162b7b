import { randomUUID } from 'node:crypto';

import { DemoProcess, type DemoExit } from '../system/demo-process.js';
import { RoundRobinProxy } from './round-robin-proxy.js';

export interface FleetOptions {
  /** The PostgreSQL database every instance uses (its `ticket` table is the suite's to truncate). */
  readonly databaseUrl: string;
  /** The Redis every instance shares (L2 cache, breaker state), with its DB index. */
  readonly redisUrl: string;
  readonly instances?: number;
  readonly log: (line: string) => void;
  /** More environment for every instance. */
  readonly env?: Record<string, string>;
}

/**
 * The readiness poll of the proxy runs every 100 ms; an instance keeps serving this long after
 * SIGTERM (readiness already 503), so the proxy has stopped sending to it before it stops accepting.
 */
export const PRE_STOP_DELAY_MS = 1_000;

/** How one instance went through a restart. */
export interface RestartRecord {
  readonly slot: number;
  readonly exit: DemoExit & { killed: boolean };
  /** SIGTERM to exit, and exit to the new instance ready in the proxy. */
  readonly stopMs: number;
  readonly startMs: number;
}

/**
 * N instances of the built demo on this machine, against one PostgreSQL database and one Redis,
 * behind the suite's round-robin proxy. Pub/sub channels and L2 keys carry a run id: pub/sub
 * ignores the DB index, so without it two fleets on one Redis (other engineers, other runs)
 * would hear each other's breakers and invalidations.
 */
export class Fleet {
  readonly runId = randomUUID().slice(0, 8);
  readonly instances: DemoProcess[] = [];
  readonly proxy = new RoundRobinProxy();
  private generation = 0;
  private extras: DemoProcess[] = [];

  private constructor(readonly options: FleetOptions) {}

  static async start(options: FleetOptions): Promise<Fleet> {
    const fleet = new Fleet(options);
    try {
      await fleet.proxy.listen();
      const count = options.instances ?? 3;
      // The first alone: the demo creates or alters its table at start-up (TypeORM synchronize),
      // and several doing that at once on a changed schema collide in the catalog.
      fleet.instances[0] = await DemoProcess.start(fleet.env(0));
      const started = await Promise.allSettled(
        Array.from({ length: count - 1 }, (_, i) => DemoProcess.start(fleet.env(i + 1))),
      );
      started.forEach((result, i) => {
        if (result.status === 'fulfilled') fleet.instances[i + 1] = result.value;
      });
      const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason as Error;
      for (const [slot, demo] of fleet.instances.entries()) await fleet.proxy.setBackend(slot, demo.url);
      for (let slot = 0; slot < count; slot++) await fleet.proxy.waitReady(slot);
      return fleet;
    } catch (error) {
      await fleet.stop();
      throw error;
    }
  }

  get breakerChannel(): string {
    return `fleet-${this.runId}:breakers`;
  }

  get cacheChannel(): string {
    return `fleet-${this.runId}:cache`;
  }

  /** What instance `slot` runs with. */
  env(slot: number): Record<string, string> {
    const name = `fleet-${this.runId}-${slot}-${this.generation++}`;
    return {
      DATABASE_URL: this.options.databaseUrl,
      REDIS_URL: this.options.redisUrl,
      RESILIENCE_SHARED_STATE_CHANNEL: this.breakerChannel,
      RESILIENCE_INSTANCE_ID: name,
      ASYNC_CACHE_L2_CHANNEL: this.cacheChannel,
      ASYNC_CACHE_L2_PREFIX: `fleet-${this.runId}:cache:`,
      BALLAST_SHUTDOWN_PRE_STOP_DELAY_MS: String(PRE_STOP_DELAY_MS),
      // The suite switches each instance's stand-in upstream; that switch must not be shed.
      BALLAST_ADMISSION_EXEMPT_PATHS: '/health,/metrics,/upstream/mode',
      ...this.options.env,
    };
  }

  /** SIGTERM, wait for the exit, start a new instance in the same slot, wait until the proxy sees it ready. */
  async restart(slot: number): Promise<RestartRecord> {
    const t0 = performance.now();
    const exit = await this.instances[slot]!.stop(30_000);
    const t1 = performance.now();
    const demo = await DemoProcess.start(this.env(slot));
    this.instances[slot] = demo;
    await this.proxy.setBackend(slot, demo.url);
    await this.proxy.waitReady(slot);
    return { slot, exit, stopMs: Math.round(t1 - t0), startMs: Math.round(performance.now() - t1) };
  }

  /** One more instance, outside the proxy (a late starter); stopped with the fleet. */
  async startExtra(): Promise<DemoProcess> {
    const demo = await DemoProcess.start(this.env(this.instances.length + this.extras.length));
    this.extras.push(demo);
    return demo;
  }

  async stopExtras(): Promise<void> {
    const extras = this.extras;
    this.extras = [];
    await Promise.all(extras.map((demo) => demo.stop(30_000)));
  }

  async stop(): Promise<void> {
    const all = [...this.instances, ...this.extras].filter(Boolean);
    const exits = await Promise.all(all.map((demo) => demo.stop(30_000)));
    if (exits.some((exit) => exit.killed)) this.options.log('an instance did not exit within 30 s of SIGTERM');
    await this.proxy.close();
  }
}

/** Sets the stand-in upstream of one instance (ok, unavailable, slow). */
export async function setUpstreamMode(url: string, mode: 'ok' | 'unavailable' | 'slow'): Promise<void> {
  const response = await fetch(`${url}/upstream/mode?mode=${mode}`, { method: 'POST' });
  if (response.status !== 200) throw new Error(`setting the upstream mode answered ${response.status}`);
}

/** Creates `count` tickets through `url`; returns their ids. */
export async function seedTickets(url: string, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${url}/tickets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: `fleet-seed-${i}`, priority: 1 + (i % 5) }),
    });
    if (response.status !== 201) throw new Error(`seeding a ticket answered ${response.status}`);
    ids.push(((await response.json()) as { id: number }).id);
  }
  return ids;
}

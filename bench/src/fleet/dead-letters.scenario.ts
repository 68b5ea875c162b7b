import {
  DeadLetterService,
  PostgresDeadLetterStore,
  RedisDeadLetterStore,
  type DeadLetterStore,
} from '@ballast/resilience';

export interface StoreReplayResult {
  readonly store: 'postgres' | 'redis';
  readonly letters: number;
  readonly replayers: number;
  /** Handler calls in all (one per letter when nothing is handed out twice). */
  readonly deliveries: number;
  /** A letter handed to a handler while another handler still had it. */
  readonly concurrentDoubleDeliveries: number;
  /** Letters handed out more than once in all (one after the other included). */
  readonly lettersDeliveredTwice: number;
  /** Letters no replayer delivered and still queued afterwards. */
  readonly undelivered: number;
  readonly seconds: number;
}

export interface DeadLetterFleetResult {
  readonly stores: readonly StoreReplayResult[];
  /** Sum of concurrent double deliveries over the stores. */
  readonly doubleDeliveries: number;
}

const SETTINGS = { includeStack: false, maxEntries: 100_000, retentionMs: 86_400_000 };
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `replayers` services, each on a store of its own (its own connections), as `replayers` instances
 * of one service would be, replay one queue at the same moment. The handler takes a few
 * milliseconds (a real one calls something), so overlapping claims would show.
 */
async function replayEverywhere(
  kind: 'postgres' | 'redis',
  makeStore: () => DeadLetterStore,
  queue: string,
  letters: number,
  replayers: number,
): Promise<StoreReplayResult> {
  const stores = Array.from({ length: replayers }, makeStore);
  try {
    for (const store of stores) await store.init();
    const services = stores.map((store) => new DeadLetterService(store, SETTINGS));
    for (let i = 0; i < letters; i++) await services[0]!.send(queue, { n: i }, new Error('upstream refused'));
    const inFlight = new Set<string>();
    const delivered = new Map<string, number>();
    let concurrent = 0;
    let deliveries = 0;
    const t0 = performance.now();
    await Promise.all(
      services.map((service) =>
        service.queue<{ n: number }>(queue).replay(
          async (record) => {
            const key = String(record.n);
            deliveries++;
            if (inFlight.has(key)) concurrent++;
            inFlight.add(key);
            delivered.set(key, (delivered.get(key) ?? 0) + 1);
            await sleep(1 + Math.random() * 3);
            inFlight.delete(key);
          },
          { batchSize: 10 },
        ),
      ),
    );
    const seconds = Math.round((performance.now() - t0) / 100) / 10;
    const remaining = await services[0]!.queue(queue).count();
    await services[0]!.queue(queue).purge();
    return {
      store: kind,
      letters,
      replayers,
      deliveries,
      concurrentDoubleDeliveries: concurrent,
      lettersDeliveredTwice: [...delivered.values()].filter((n) => n > 1).length,
      undelivered: Math.max(letters - delivered.size, remaining),
      seconds,
    };
  } finally {
    await Promise.all(stores.map((store) => store.close().catch(() => undefined)));
  }
}

/** Replays from three replayers at once on the Postgres store and on the Redis store. */
export async function deadLettersInFleet(options: {
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly runId: string;
  readonly letters: number;
  readonly replayers?: number;
}): Promise<DeadLetterFleetResult> {
  const replayers = options.replayers ?? 3;
  const queue = `fleet-${options.runId}`;
  const postgres = await replayEverywhere(
    'postgres',
    () => new PostgresDeadLetterStore({ url: options.databaseUrl, table: 'fleet_dead_letters', createTable: true }),
    queue,
    options.letters,
    replayers,
  );
  const redis = await replayEverywhere(
    'redis',
    () =>
      new RedisDeadLetterStore({ url: options.redisUrl, keyPrefix: `fleet-${options.runId}:dl`, maxEntries: 100_000 }),
    queue,
    options.letters,
    replayers,
  );
  return {
    stores: [postgres, redis],
    doubleDeliveries: postgres.concurrentDoubleDeliveries + redis.concurrentDoubleDeliveries,
  };
}

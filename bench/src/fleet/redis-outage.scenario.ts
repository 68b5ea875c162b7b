import { quote } from './breaker-watch.js';
import { Fleet, setUpstreamMode } from './fleet.js';
import { PrivateRedisServer } from './private-redis-server.js';

export interface RedisOutageResult {
  /** While Redis was down: calls the other instances refused (0 = each instance decided alone). */
  readonly othersShortCircuitedDuringOutage: number;
  /** While Redis was down: answers other than 200 from any instance (breaker calls and stats reads). */
  readonly errorsDuringOutage: number;
  /** While Redis was down: longest a read on another instance stayed stale after a write (L1 capped to the degraded TTL). */
  readonly staleDuringOutageMaxMs: number | null;
  /** From Redis answering again until every other instance refused calls too (null: not within 15 s). */
  readonly breakerReconciledAfterMs: number | null;
  /** After the link was back: reads on the other instances that missed a write acknowledged just before. */
  readonly staleReadsAfterReconnect: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function total(url: string): Promise<{ status: number; total: number }> {
  const response = await fetch(`${url}/ticket-stats`);
  const body = (await response.json().catch(() => ({}))) as { total?: number };
  return { status: response.status, total: body.total ?? -1 };
}

async function write(url: string, title: string): Promise<void> {
  const response = await fetch(`${url}/tickets`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title }),
  });
  await response.arrayBuffer();
  if (response.status !== 201) throw new Error(`a write answered ${response.status}`);
}

/**
 * A fleet of its own on a private redis-server, which is killed (SIGKILL) and started again on the
 * same port: breakers degrade to per-instance decisions and caches to L1 capped to the degraded
 * TTL while it is away; once it is back the fleet must agree again.
 */
export async function redisOutage(options: {
  readonly databaseUrl: string;
  readonly log: (line: string) => void;
}): Promise<RedisOutageResult> {
  const redis = await PrivateRedisServer.start();
  let fleet: Fleet | undefined;
  try {
    fleet = await Fleet.start({ databaseUrl: options.databaseUrl, redisUrl: redis.url, log: options.log });
    const [opener, ...others] = fleet.instances.map((demo) => demo.url) as [string, ...string[]];
    let errors = 0;
    for (const url of [opener, ...others]) await total(url);

    await redis.kill();
    await sleep(500);
    // Caches: a write on the opener, then how long each other instance keeps the old total.
    let staleMax: number | null = null;
    for (let round = 0; round < 3; round++) {
      for (const url of others) if ((await total(url)).status !== 200) errors++;
      await write(opener, `fleet-${fleet.runId}-outage-${round}`);
      const expected = (await total(opener)).total;
      const acked = performance.now();
      for (const url of others) {
        for (;;) {
          const answer = await total(url);
          if (answer.status !== 200) errors++;
          if (answer.total >= expected || performance.now() - acked > 10_000) break;
          await sleep(20);
        }
        staleMax = Math.max(staleMax ?? 0, Math.round(performance.now() - acked));
      }
    }
    // Breakers: the opener's upstream fails until its own breaker opens; the others must go on calling.
    await setUpstreamMode(opener, 'unavailable');
    const until = Date.now() + 15_000;
    while (!(await quote(opener)).shortCircuited) {
      if (Date.now() > until) throw new Error('the opener did not open its breaker within 15 s');
    }
    let othersShort = 0;
    for (let i = 0; i < 20; i++) {
      for (const url of others) {
        const answer = await quote(url);
        if (answer.status !== 200) errors++;
        if (answer.shortCircuited) othersShort++;
      }
      await sleep(25);
    }

    // Redis back: the opener keeps calling its failing upstream (its breaker stays open or opens again).
    let keep = true;
    const keeper = (async () => {
      while (keep) {
        await quote(opener).catch(() => undefined);
        await sleep(50);
      }
    })();
    let reconciled: number | null = null;
    try {
      await redis.start();
      const back = performance.now();
      const pending = new Set(others);
      while (pending.size > 0 && performance.now() - back < 15_000) {
        for (const url of [...pending]) if ((await quote(url)).shortCircuited) pending.delete(url);
        await sleep(20);
      }
      if (pending.size === 0) reconciled = Math.round(performance.now() - back);
    } finally {
      keep = false;
      await keeper;
    }
    await setUpstreamMode(opener, 'ok');

    // Caches after the link is back (each L1 started over): a write on the opener, read at once elsewhere.
    await sleep(1_000);
    let staleAfter = 0;
    for (let round = 0; round < 5; round++) {
      for (const url of others) await total(url);
      await write(opener, `fleet-${fleet.runId}-reconnect-${round}`);
      const expected = (await total(opener)).total;
      for (const url of others) if ((await total(url)).total < expected) staleAfter++;
    }
    return {
      othersShortCircuitedDuringOutage: othersShort,
      errorsDuringOutage: errors,
      staleDuringOutageMaxMs: staleMax,
      breakerReconciledAfterMs: reconciled,
      staleReadsAfterReconnect: staleAfter,
    };
  } finally {
    await fleet?.stop();
    await redis.kill();
  }
}

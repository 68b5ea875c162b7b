import pg from 'pg';

import type { Fleet } from './fleet.js';

export interface CacheCoherenceResult {
  readonly rounds: number;
  /** Reads of `/ticket-stats` on another instance right after a write was acknowledged. */
  readonly readsAfterWrite: number;
  /** Of those, answers that did not count the acknowledged write yet. */
  readonly staleReadsAfterWrite: number;
  /** The same on the instance that took the write. */
  readonly staleReadsOnWriter: number;
  /** For each stale read: ms from the acknowledgement until that instance answered fresh. */
  readonly staleForMs: readonly number[];
}

interface Stats {
  readonly total: number;
}

async function stats(url: string): Promise<Stats> {
  const response = await fetch(`${url}/ticket-stats`);
  if (response.status !== 200) throw new Error(`/ticket-stats answered ${response.status}`);
  return (await response.json()) as Stats;
}

async function create(url: string, title: string): Promise<void> {
  const response = await fetch(`${url}/tickets`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title }),
  });
  await response.arrayBuffer();
  if (response.status !== 201) throw new Error(`a write answered ${response.status}`);
}

/**
 * `/ticket-stats` is cached in L1 on every instance and in the shared L2, and every write evicts
 * it fleet-wide (`@CacheEvict`: L2 deleted and an invalidation published before the 201). Each
 * round: every instance reads the stats (each L1 now holds them), one instance takes a write, and
 * as soon as the 201 is back every instance is asked again. An answer whose total does not count
 * the write is a stale read after an acknowledged write. Nothing else writes meanwhile.
 */
export async function cacheCoherence(
  fleet: Fleet,
  options: { readonly rounds: number },
): Promise<CacheCoherenceResult> {
  const db = new pg.Client({ connectionString: fleet.options.databaseUrl });
  await db.connect();
  const urls = fleet.instances.map((demo) => demo.url);
  let readsAfterWrite = 0;
  let stale = 0;
  let staleOnWriter = 0;
  const staleForMs: number[] = [];
  try {
    for (let round = 0; round < options.rounds; round++) {
      const writer = urls[round % urls.length]!;
      await Promise.all(urls.map(stats));
      await create(writer, `fleet-${fleet.runId}-coherence-${round}`);
      const acked = performance.now();
      // Asked at once after the 201; the row count (nothing else writes) is read beside them.
      const [answers, { rows }] = await Promise.all([
        Promise.all(urls.map(async (url) => ({ url, total: (await stats(url)).total }))),
        db.query<{ n: number }>('SELECT count(*)::int AS n FROM ticket'),
      ]);
      const expected = rows[0]!.n;
      for (const { url, total } of answers) {
        if (url !== writer) readsAfterWrite++;
        if (total >= expected) continue;
        if (url === writer) staleOnWriter++;
        else stale++;
        // How long it stays stale: bounded by the invalidation's propagation, or by the TTL if lost.
        const until = acked + 10_000;
        while (performance.now() < until && (await stats(url)).total < expected) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        staleForMs.push(Math.round(performance.now() - acked));
      }
    }
  } finally {
    await db.end();
  }
  return {
    rounds: options.rounds,
    readsAfterWrite,
    staleReadsAfterWrite: stale,
    staleReadsOnWriter: staleOnWriter,
    staleForMs,
  };
}

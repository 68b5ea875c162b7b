import { fileURLToPath } from 'node:url';

import { DemoProcess } from './demo-process.js';
import { LoadGenerator, type RequestKind } from './load-generator.js';
import type { Scenario, ScenarioResult } from './scenarios.js';
import { percentile, summarize, type TrafficSummary } from './summarize.js';
import { lostWrites, type SystemEnv } from './system-stack.js';

const BARE_MAIN = fileURLToPath(new URL('./bare/bare.app.js', import.meta.url));
/** No /ticket-stats: the demo caches it and the bare app cannot, which would not be the same work. */
const MIX: Partial<Record<RequestKind, number>> = { read: 8, write: 2 };
const CONNECTIONS = 100;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function measure(env: SystemEnv, main: string | undefined, seconds: number) {
  const demo = await DemoProcess.start({ DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl }, main ?? undefined);
  try {
    const readIds: number[] = [];
    for (let i = 0; i < 20; i++) {
      const response = await fetch(`${demo.url}/tickets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: `overhead-seed-${i}` }),
      });
      readIds.push(((await response.json()) as { id: number }).id);
    }
    const load = new LoadGenerator({ url: demo.url, connections: CONNECTIONS, mix: MIX, readIds, runTag: 'overhead' });
    // Warm-up (JIT, pool filling) first, then the measured stretch.
    await sleep(3_000);
    const from = load.now();
    await sleep(seconds * 1000);
    const to = load.now();
    await load.stop();
    return { traffic: summarize(load.records, from, to), acknowledged: load.acknowledgedWrites };
  } finally {
    await demo.stop(30_000);
  }
}

/**
 * Ballast's cost as a whole: the demo against a bare Nest app doing the same ticket work with plain
 * TypeORM, both on the real PostgreSQL (no proxy), in interleaved rounds (the machine's drift hits
 * both alike). Ratio = demo 2xx/s / bare 2xx/s, medians over the rounds; 1 means no cost.
 */
export const overhead: Scenario = {
  name: 'overhead',
  description: 'demo vs a bare Nest 12 + TypeORM app, same routes, 100 connections, interleaved rounds',
  quick: false,
  async run(env: SystemEnv): Promise<ScenarioResult> {
    const rounds = env.quick ? 1 : 3;
    const seconds = env.quick ? 5 : 10;
    const ours: TrafficSummary[] = [];
    const peer: number[] = [];
    const acknowledged: number[] = [];
    for (let round = 0; round < rounds; round++) {
      // Alternate who goes first, so neither always runs on a warmer or a busier machine.
      const order = round % 2 === 0 ? ['ours', 'peer'] : ['peer', 'ours'];
      for (const who of order) {
        const result = await measure(env, who === 'ours' ? undefined : BARE_MAIN, seconds);
        acknowledged.push(...result.acknowledged);
        if (who === 'ours') ours.push(result.traffic);
        else peer.push(result.traffic.successPerSecond);
      }
    }
    const oursRates = ours.map((t) => t.successPerSecond);
    const ratio = Math.round((percentile(oursRates, 50)! / percentile(peer, 50)!) * 1000) / 1000;
    const middle = ours[oursRates.indexOf(percentile(oursRates, 50)!)]!;
    return {
      scenario: 'overhead',
      connections: CONNECTIONS,
      seconds: rounds * 2 * (seconds + 3),
      traffic: middle,
      acknowledgedWrites: acknowledged.length,
      lostAcknowledgedWrites: await lostWrites(env.databaseUrl, acknowledged),
      overhead: { oursPerSecond: oursRates, peerPerSecond: peer, ratio },
      logLines: 0,
      alarms: {},
    };
  },
};

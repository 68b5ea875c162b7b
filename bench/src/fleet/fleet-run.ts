import { resetTickets } from '../system/system-stack.js';
import { breakerPropagation, type BreakerPropagationResult } from './breakers.scenario.js';
import { cacheCoherence, type CacheCoherenceResult } from './cache-coherence.scenario.js';
import { ConnectionSampler } from './connection-sampler.js';
import { deadLettersInFleet, type DeadLetterFleetResult } from './dead-letters.scenario.js';
import { Fleet, seedTickets } from './fleet.js';
import { redisOutage, type RedisOutageResult } from './redis-outage.scenario.js';
import { rollingRestart, type RollingRestartResult } from './rolling-restart.scenario.js';

export interface FleetEnv {
  /** Truncated: give the suite a database of its own. */
  readonly databaseUrl: string;
  /** The shared Redis (with its DB index); outage scenarios use a private redis-server instead. */
  readonly redisUrl: string;
  /** The short version CI runs. */
  readonly quick: boolean;
  readonly log: (line: string) => void;
}

/** The figures issue 18 asks for, in the JSON line as `"fleet": {...}`. */
export interface FleetSummary {
  readonly instances: number;
  readonly breakerPropagationP99Ms: number | null;
  readonly staleReadsAfterWrite: number | null;
  readonly doubleDeliveries: number | null;
  readonly rollingRestartFailedRequests: number;
  readonly rollingRestartLostWrites: number;
  readonly maxConnectionsInUse: number;
  readonly serverConnectionLimit: number;
}

export interface FleetReport {
  readonly summary: FleetSummary;
  readonly breakers: BreakerPropagationResult;
  readonly cache: CacheCoherenceResult;
  readonly deadLetters: DeadLetterFleetResult;
  readonly rollingRestart: RollingRestartResult;
  /** A fleet of its own on a private redis-server that is killed and started again. */
  readonly redisOutage?: RedisOutageResult;
}

/** Runs every fleet scenario on one fleet of three (and a private one where Redis must fail). */
export async function runFleet(env: FleetEnv): Promise<FleetReport> {
  await resetTickets(env.databaseUrl);
  const sampler = await ConnectionSampler.start(env.databaseUrl);
  try {
    env.log('starting 3 demo instances behind the round-robin proxy ...');
    const fleet = await Fleet.start({ databaseUrl: env.databaseUrl, redisUrl: env.redisUrl, log: env.log });
    let roll: RollingRestartResult;
    let breakers: BreakerPropagationResult;
    let cache: CacheCoherenceResult;
    let deadLetters: DeadLetterFleetResult;
    try {
      const readIds = await seedTickets(fleet.proxy.url, 20);
      env.log('breaker propagation (and a late starter) ...');
      breakers = await breakerPropagation(fleet, { cycles: env.quick ? 4 : 15, lateStarter: true });
      env.log('cache coherence: write on one instance, read on all ...');
      cache = await cacheCoherence(fleet, { rounds: env.quick ? 20 : 150 });
      env.log('dead letters: three replayers at once, Postgres and Redis stores ...');
      deadLetters = await deadLettersInFleet({
        databaseUrl: env.databaseUrl,
        redisUrl: env.redisUrl,
        runId: fleet.runId,
        letters: env.quick ? 100 : 600,
      });
      env.log('rolling restart under steady load ...');
      roll = await rollingRestart(fleet, {
        connections: env.quick ? 8 : 48,
        steadyMs: env.quick ? 2_000 : 8_000,
        readIds,
      });
    } finally {
      await fleet.stop();
    }
    // Not in the quick run: a second fleet means three more start-ups.
    let outage: RedisOutageResult | undefined;
    if (!env.quick) {
      env.log('Redis outage: a second fleet on a private redis-server, killed and started again ...');
      outage = await redisOutage({ databaseUrl: env.databaseUrl, log: env.log });
    }
    await sampler.sample();
    return {
      summary: {
        instances: fleet.instances.length,
        breakerPropagationP99Ms: breakers.p99Ms,
        staleReadsAfterWrite: cache.staleReadsAfterWrite,
        doubleDeliveries: deadLetters.doubleDeliveries,
        rollingRestartFailedRequests: roll.failedRequests,
        rollingRestartLostWrites: roll.lostWrites,
        maxConnectionsInUse: sampler.maxInUse,
        serverConnectionLimit: sampler.serverLimit,
      },
      breakers,
      cache,
      deadLetters,
      rollingRestart: roll,
      ...(outage ? { redisOutage: outage } : {}),
    };
  } finally {
    await sampler.stop();
  }
}

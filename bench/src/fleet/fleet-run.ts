import { resetTickets } from '../system/system-stack.js';
import { ConnectionSampler } from './connection-sampler.js';
import { Fleet, seedTickets } from './fleet.js';
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
  readonly rollingRestart: RollingRestartResult;
}

/** Runs every fleet scenario on one fleet of three (and a private one where Redis must fail). */
export async function runFleet(env: FleetEnv): Promise<FleetReport> {
  await resetTickets(env.databaseUrl);
  const sampler = await ConnectionSampler.start(env.databaseUrl);
  try {
    env.log('starting 3 demo instances behind the round-robin proxy ...');
    const fleet = await Fleet.start({ databaseUrl: env.databaseUrl, redisUrl: env.redisUrl, log: env.log });
    let roll: RollingRestartResult;
    try {
      const readIds = await seedTickets(fleet.proxy.url, 20);
      env.log('rolling restart under steady load ...');
      roll = await rollingRestart(fleet, {
        connections: env.quick ? 16 : 48,
        steadyMs: env.quick ? 3_000 : 8_000,
        readIds,
      });
    } finally {
      await fleet.stop();
    }
    await sampler.sample();
    return {
      summary: {
        instances: fleet.instances.length,
        breakerPropagationP99Ms: null,
        staleReadsAfterWrite: null,
        doubleDeliveries: null,
        rollingRestartFailedRequests: roll.failedRequests,
        rollingRestartLostWrites: roll.lostWrites,
        maxConnectionsInUse: sampler.maxInUse,
        serverConnectionLimit: sampler.serverLimit,
      },
      rollingRestart: roll,
    };
  } finally {
    await sampler.stop();
  }
}

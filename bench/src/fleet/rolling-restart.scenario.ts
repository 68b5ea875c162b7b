import { LoadGenerator, type RequestKind } from '../system/load-generator.js';
import { percentile, summarize, type TrafficSummary } from '../system/summarize.js';
import { lostWrites } from '../system/system-stack.js';
import type { Fleet, RestartRecord } from './fleet.js';

export interface RollingRestartResult {
  readonly connections: number;
  readonly seconds: number;
  readonly traffic: TrafficSummary;
  readonly duringRoll: TrafficSummary;
  /** Requests that did not get a 2xx through the proxy (a transport error counts too). */
  readonly failedRequests: number;
  readonly failedSamples: readonly string[];
  readonly acknowledgedWrites: number;
  readonly lostWrites: number;
  readonly p99BeforeMs: number | null;
  readonly p99DuringRollMs: number | null;
  readonly rollSeconds: number;
  readonly restarts: readonly RestartRecord[];
  /** Requests the proxy sent to another instance after a 503 or a refused connection. */
  readonly proxyRetries: number;
}

const MIX: Partial<Record<RequestKind, number>> = { read: 6, write: 2, stats: 2 };
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const round1 = (value: number | null) => (value === null ? null : Math.round(value * 10) / 10);

/**
 * Steady load through the proxy while each instance in turn gets SIGTERM, exits, and is replaced
 * by a new one that must be ready before the next goes: every request must get a 2xx and every
 * acknowledged write must be in PostgreSQL.
 */
export async function rollingRestart(
  fleet: Fleet,
  options: { readonly connections: number; readonly steadyMs: number; readonly readIds: readonly number[] },
): Promise<RollingRestartResult> {
  const retriesBefore = fleet.proxy.stats.retries;
  const load = new LoadGenerator({
    url: fleet.proxy.url,
    connections: options.connections,
    mix: MIX,
    readIds: options.readIds,
    runTag: `fleet-${fleet.runId}-roll`,
  });
  const restarts: RestartRecord[] = [];
  let rollStart: number;
  let rollEnd: number;
  try {
    await sleep(options.steadyMs);
    rollStart = load.now();
    for (let slot = 0; slot < fleet.instances.length; slot++) {
      const record = await fleet.restart(slot);
      restarts.push(record);
      fleet.options.log(
        `rolled instance ${slot}: exit ${record.exit.code ?? record.exit.signal} after ${record.stopMs} ms, ready ${record.startMs} ms later`,
      );
    }
    rollEnd = load.now();
    await sleep(options.steadyMs);
  } finally {
    await load.stop();
  }
  const records = load.records;
  const failed = records.filter((r) => r.status < 200 || r.status >= 300);
  const latencies = (from: number, to: number) =>
    records.filter((r) => r.startMs >= from && r.startMs < to && r.status > 0).map((r) => r.latencyMs);
  return {
    connections: options.connections,
    seconds: Math.round(load.now() / 100) / 10,
    traffic: summarize(records),
    duringRoll: summarize(records, rollStart, rollEnd),
    failedRequests: failed.length,
    failedSamples: failed.slice(0, 5).map((r) => `${r.kind} ${r.status}${r.error ? ` ${r.error}` : ''}`),
    acknowledgedWrites: load.acknowledgedWrites.length,
    lostWrites: await lostWrites(fleet.options.databaseUrl, load.acknowledgedWrites),
    p99BeforeMs: round1(percentile(latencies(0, rollStart), 99)),
    p99DuringRollMs: round1(percentile(latencies(rollStart, rollEnd), 99)),
    rollSeconds: Math.round((rollEnd - rollStart) / 100) / 10,
    restarts,
    proxyRetries: fleet.proxy.stats.retries - retriesBefore,
  };
}

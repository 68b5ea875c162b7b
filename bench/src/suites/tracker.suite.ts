/**
 * @ballast/tracker on a loaded HTTP service: the tracker off, at its default level (cheap signals:
 * FileHandle wrapper, socket channel, long-timer wrapper, tracked() user objects, a scan every
 * second), at its debug level (plus an async_hooks record of every async resource), and a
 * why-is-node-running-style hook (a formatted stack per async resource) for comparison; under two
 * workloads (see tracker.modes.ts).
 *
 * Every mode is a service process of its own, started once and kept (tracker.service.ts); one load
 * generator process (tracker.load.ts) sends them short bursts in turn, round after round, rotating
 * who goes first. A burst's CPU is the service's own, read before and after it. Bursts of a round
 * are a fraction of a second apart, so the shared machine's drift (neighbours, frequency) hits the
 * modes of a round alike; each ratio is the median of the rounds' own ratios against that round's
 * `off` burst, given with the 95% confidence interval of that median.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { costResult, interleave, median, throughputResult, type BenchResult, type BenchSuite } from '../harness.js';
import {
  CONCURRENCY,
  MODES,
  WORKLOADS,
  pinnedTo,
  type BurstReply,
  type BurstRequest,
  type Mode,
  type ServiceReply,
  type ServiceRequest,
  type Workload,
} from './tracker.modes.js';

const SERVICE_SCRIPT = fileURLToPath(new URL('./tracker.service.js', import.meta.url));
const LOAD_SCRIPT = fileURLToPath(new URL('./tracker.load.js', import.meta.url));

interface BurstResult {
  rps: number;
  /** CPU of the service's process (all its threads) per request; the load generator is apart. */
  cpuUsPerReq: number;
}

/** A child on `cpu` where the machine can pin, talking over IPC. */
function forkPinned(script: string, args: string[], cpu: number): ChildProcess {
  const [pin, ...pinArgs] = pinnedTo(cpu);
  return fork(script, args, {
    execArgv: ['--expose-gc'],
    ...(pin ? { execPath: pin, execArgv: [...pinArgs, process.execPath, '--expose-gc'] } : {}),
  });
}

/** Sends `message` (if any) and waits for the child's next message; one question at a time. */
function ask<T>(child: ChildProcess, message?: ServiceRequest | BurstRequest): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`benchmark child exited with ${code}`));
    child.once('exit', onExit);
    child.once('message', (reply) => {
      child.off('exit', onExit);
      resolve(reply as T);
    });
    if (message) child.send(message);
  });
}

class Service {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(mode: Mode, workload: Workload): Promise<Service> {
    const child = forkPinned(SERVICE_SCRIPT, [mode, workload], 0);
    const reply = await ask<ServiceReply>(child);
    if (reply.kind !== 'listening') throw new Error(`service ${mode}/${workload} did not start`);
    return new Service(child, reply.port);
  }

  async cpuUs(): Promise<number> {
    const reply = await ask<ServiceReply>(this.child, { kind: 'cpu' });
    if (reply.kind !== 'cpu') throw new Error('service answered out of turn');
    return reply.us;
  }

  async burst(load: ChildProcess, requests: number): Promise<BurstResult> {
    const before = await this.cpuUs();
    const { ms } = await ask<BurstReply>(load, { port: this.port, requests });
    const used = (await this.cpuUs()) - before;
    return { rps: (requests * 1_000) / ms, cpuUsPerReq: used / requests };
  }

  stop(): void {
    if (this.child.connected) this.child.send({ kind: 'stop' } satisfies ServiceRequest);
    // The service exits by itself once stopped; this is for one that hangs.
    setTimeout(() => this.child.kill(), 5_000).unref();
  }
}

/** Median of per-round ratios, with the order-statistic 95% confidence interval of that median. */
function pairedRatio(ratios: readonly number[]): { median: number; interval: string } {
  const sorted = [...ratios].sort((a, b) => a - b);
  const n = sorted.length;
  const half = 0.98 * Math.sqrt(n);
  const low = sorted[Math.max(0, Math.floor(n / 2 - half))]!;
  const high = sorted[Math.min(n - 1, Math.ceil(n / 2 + half))]!;
  return { median: median(sorted), interval: `${n} rounds, 95% CI of the median ${low.toFixed(3)}-${high.toFixed(3)}` };
}

function compare(
  perRound: Record<Mode, BurstResult[]>,
  workload: Workload,
  ours: Mode,
  peer: Mode,
  peerName: string,
  note?: string,
): BenchResult[] {
  const rounds = perRound[ours].map((result, i) => ({ ours: result, peer: perRound[peer][i]! }));
  const rps = pairedRatio(rounds.map((r) => r.ours.rps / r.peer.rps));
  const cpu = pairedRatio(rounds.map((r) => r.peer.cpuUsPerReq / r.ours.cpuUsPerReq));
  const label = ours === 'default' ? 'default level' : 'debug level (async_hooks)';
  const peerRps = median(perRound[peer].map((r) => r.rps));
  const peerCpu = median(perRound[peer].map((r) => r.cpuUsPerReq));
  // `ours` is the peer's median scaled by the median paired ratio, so value and ratio agree.
  const notes = (interval: string) => [note, 'ours = peer median x paired ratio', interval].filter(Boolean).join('; ');
  return [
    throughputResult({
      case: `${workload}: HTTP throughput, ${label}`,
      ours: peerRps * rps.median,
      peer: peerName,
      peerValue: peerRps,
      note: notes(rps.interval),
    }),
    costResult({
      case: `${workload}: service CPU per request, ${label}`,
      metric: 'cpu_us_per_req',
      ours: peerCpu / cpu.median,
      peer: peerName,
      peerValue: peerCpu,
      note: notes(cpu.interval),
    }),
  ];
}

async function measureWorkload(workload: Workload, rounds: number, requests: number) {
  const load = forkPinned(LOAD_SCRIPT, [], 1);
  const services = new Map<Mode, Service>();
  try {
    for (const mode of MODES) services.set(mode, await Service.start(mode, workload));
    // Warm every service up (JIT, heap, connections) before anything counts.
    await interleave(MODES, 3, (mode) => services.get(mode)!.burst(load, requests));
    return await interleave(MODES, rounds, (mode) => services.get(mode)!.burst(load, requests));
  } finally {
    for (const service of services.values()) service.stop();
    load.kill();
  }
}

const suite: BenchSuite = {
  name: 'tracker',
  description: 'HTTP service under load: tracker off / default / debug / why-is-node-running-style hook',
  async run(ctx) {
    const requests = ctx.quick ? 300 : 4_000;
    const rounds = ctx.quick ? 3 : Math.max(60, ctx.rounds);
    const pinned = pinnedTo(0).length > 0 ? 'services on CPU 0, load generator on CPU 1' : 'unpinned';
    const results: BenchResult[] = [];
    for (const workload of WORKLOADS) {
      const perRound = await measureWorkload(workload, rounds, requests);
      ctx.log(
        `tracker ${workload}: ${rounds} rounds of a ${requests}-request burst per mode, concurrency ` +
          `${CONCURRENCY}, a long-lived process per mode, ${pinned}`,
      );
      results.push(
        ...compare(perRound, workload, 'default', 'off', 'tracker off', 'target ratio >= 0.99'),
        ...compare(perRound, workload, 'debug', 'off', 'tracker off', 'the cost of the opt-in debug level'),
        ...compare(perRound, workload, 'default', 'stack-hook', 'why-is-node-running-style hook'),
      );
    }
    return results;
  },
};

export default suite;

/**
 * @ballast/tracker on a loaded HTTP service: the tracker off, at its default level (cheap signals:
 * FileHandle wrapper, socket channel, long-timer wrapper, tracked() user objects, a scan every
 * second), at its debug level (plus an async_hooks record of every async resource), and a
 * why-is-node-running-style hook (a formatted stack per async resource) for comparison; under two
 * workloads (see tracker.modes.ts). Each run is a fresh service process with its own load
 * generator (tracker.process.ts); the modes are interleaved round by round, and each ratio is the
 * median of the rounds' own ratios against that round's `off` run, which cancels the machine's
 * drift between rounds.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { costResult, interleave, median, throughputResult, type BenchResult, type BenchSuite } from '../harness.js';
import { CONCURRENCY, MODES, WORKLOADS, pinnedTo, type Mode, type RunResult, type Workload } from './tracker.modes.js';

const PROCESS_SCRIPT = fileURLToPath(new URL('./tracker.process.js', import.meta.url));

async function runMode(mode: Mode, workload: Workload, requests: number): Promise<RunResult> {
  const [command, ...prefix] = [...pinnedTo(0), process.execPath];
  const { stdout } = await promisify(execFile)(command!, [
    ...prefix,
    '--expose-gc',
    PROCESS_SCRIPT,
    mode,
    workload,
    String(requests),
  ]);
  return JSON.parse(stdout.trim().split('\n').pop()!) as RunResult;
}

/** Median of per-round ratios, and their quartiles for the note. */
function pairedRatio(ratios: number[]): { median: number; spread: string } {
  const sorted = [...ratios].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return { median: median(sorted), spread: `rounds' ratios: quartiles ${q(0.25).toFixed(3)}-${q(0.75).toFixed(3)}` };
}

function compare(
  perRound: Record<Mode, RunResult[]>,
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
  const notes = (spread: string) => [note, `ours = peer median x paired ratio`, spread].filter(Boolean).join('; ');
  return [
    throughputResult({
      case: `${workload}: HTTP throughput, ${label}`,
      ours: peerRps * rps.median,
      peer: peerName,
      peerValue: peerRps,
      note: notes(rps.spread),
    }),
    costResult({
      case: `${workload}: service CPU per request, ${label}`,
      metric: 'cpu_us_per_req',
      ours: peerCpu / cpu.median,
      peer: peerName,
      peerValue: peerCpu,
      note: notes(cpu.spread),
    }),
  ];
}

const suite: BenchSuite = {
  name: 'tracker',
  description: 'HTTP service under load: tracker off / default / debug / why-is-node-running-style hook',
  async run(ctx) {
    const requests = ctx.quick ? 500 : 8_000;
    const rounds = ctx.quick ? 3 : Math.max(11, ctx.rounds);
    const pinned = pinnedTo(0).length > 0 ? 'service on CPU 0, load generator on CPU 1' : 'unpinned';
    const results: BenchResult[] = [];
    for (const workload of WORKLOADS) {
      const perRound = await interleave(MODES, rounds, (mode) => runMode(mode, workload, requests));
      ctx.log(
        `tracker ${workload}: ${rounds} rounds of ${requests} requests, concurrency ${CONCURRENCY}, ` +
          `a process per run, ${pinned}`,
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

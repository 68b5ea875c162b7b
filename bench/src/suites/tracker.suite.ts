/**
 * @ballast/tracker on a loaded HTTP service: the tracker off, at its default level (cheap signals:
 * FileHandle wrapper, socket channel, long-timer wrapper, tracked() user objects, a scan every
 * second), at its debug level (plus an async_hooks record of every async resource), and a
 * why-is-node-running-style hook (a formatted stack per async resource) for comparison.
 * Every request opens, reads and closes a file and holds one tracked object while it runs. Each
 * mode runs in a fresh process per round (tracker.process.ts), the modes interleaved.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { costResult, interleave, median, throughputResult, type BenchResult, type BenchSuite } from '../harness.js';
import { CONCURRENCY, MODES, type Mode, type RunResult } from './tracker.modes.js';

const PROCESS_SCRIPT = fileURLToPath(new URL('./tracker.process.js', import.meta.url));

async function runMode(mode: Mode, requests: number): Promise<RunResult> {
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--expose-gc',
    PROCESS_SCRIPT,
    mode,
    String(requests),
  ]);
  return JSON.parse(stdout.trim().split('\n').pop()!) as RunResult;
}

const suite: BenchSuite = {
  name: 'tracker',
  description: 'HTTP service under load: tracker off / default / debug / why-is-node-running-style hook',
  async run(ctx) {
    const requests = ctx.quick ? 500 : 6_000;
    const rounds = ctx.quick ? 3 : Math.max(5, ctx.rounds);
    const perRound = await interleave(MODES, rounds, (mode) => runMode(mode, requests));
    ctx.log(`tracker: ${rounds} rounds of ${requests} requests, concurrency ${CONCURRENCY}, a process per run`);
    const rps = (mode: Mode) => median(perRound[mode].map((r) => r.rps));
    const cpu = (mode: Mode) => median(perRound[mode].map((r) => r.cpuUsPerReq));
    const results: BenchResult[] = [
      throughputResult({
        case: 'HTTP throughput, default level',
        ours: rps('default'),
        peer: 'tracker off',
        peerValue: rps('off'),
        note: 'target ratio >= 0.99',
      }),
      costResult({
        case: 'CPU per request, default level',
        metric: 'cpu_us_per_req',
        ours: cpu('default'),
        peer: 'tracker off',
        peerValue: cpu('off'),
        note: 'target ratio >= 0.99 (<= 1% CPU)',
      }),
      throughputResult({
        case: 'HTTP throughput, debug level (async_hooks)',
        ours: rps('debug'),
        peer: 'tracker off',
        peerValue: rps('off'),
        note: 'the cost of the opt-in debug level',
      }),
      throughputResult({
        case: 'HTTP throughput, default level',
        ours: rps('default'),
        peer: 'why-is-node-running-style hook',
        peerValue: rps('stack-hook'),
      }),
      costResult({
        case: 'CPU per request, default level',
        metric: 'cpu_us_per_req',
        ours: cpu('default'),
        peer: 'why-is-node-running-style hook',
        peerValue: cpu('stack-hook'),
      }),
    ];
    return results;
  },
};

export default suite;

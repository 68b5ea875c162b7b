/**
 * @ballast/tracker on a loaded HTTP service: the tracker off, at its default level (cheap signals:
 * FileHandle wrapper, socket channel, long-timer wrapper, tracked() user objects, a scan every
 * second), at its debug level (plus an async_hooks record of every async resource), and a
 * why-is-node-running-style hook (a formatted stack per async resource) for comparison.
 * Every request opens, reads and closes a file and holds one tracked object while it runs.
 */
import { createHook, type AsyncHook } from 'node:async_hooks';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import fs from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  AsyncResourceRecorder,
  ResourceTracker,
  fileHandleSignal,
  socketSignal,
  timerSignal,
  tracked,
} from '@ballast/tracker';

import { costResult, interleave, median, throughputResult, type BenchResult, type BenchSuite } from '../harness.js';

type Mode = 'off' | 'default' | 'debug' | 'stack-hook';

const CONCURRENCY = 16;

function startServer(file: string, state: { tracker?: ResourceTracker }): Promise<Server> {
  const server = createServer(async (_req, res) => {
    const work = { buffer: Buffer.alloc(256) };
    const resource = state.tracker
      ? tracked(work, {
          type: 'request-buffer',
          owner: 'BenchController',
          registry: state.tracker,
          close: () => undefined,
        })
      : undefined;
    const handle = await fs.promises.open(file, 'r');
    try {
      await handle.read(work.buffer, 0, 256, 0);
    } finally {
      await handle.close();
      await resource?.close();
    }
    res.end('ok');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function load(port: number, agent: Agent, requests: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < requests) {
      next += 1;
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end();
      });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** Turns a mode on; returns the function that turns it off again. */
function enable(mode: Mode, state: { tracker?: ResourceTracker }): () => void {
  if (mode === 'off') return () => undefined;
  if (mode === 'stack-hook') {
    const resources = new Map<number, { type: string; stack: string }>();
    const hook: AsyncHook = createHook({
      init(id, type) {
        resources.set(id, { type, stack: new Error().stack ?? '' });
      },
      destroy(id) {
        resources.delete(id);
      },
    }).enable();
    return () => {
      hook.disable();
      resources.clear();
    };
  }
  const tracker = new ResourceTracker({ defaultMaxLifetimeMs: 300_000, stackSampling: 100 });
  state.tracker = tracker;
  const stops = [fileHandleSignal.start(tracker), socketSignal.start(tracker), timerSignal(60_000).start(tracker)];
  const scan = setInterval(() => tracker.scan(), 1_000);
  scan.unref();
  const recorder = mode === 'debug' ? new AsyncResourceRecorder() : undefined;
  recorder?.start();
  return () => {
    clearInterval(scan);
    recorder?.stop();
    for (const stop of stops) stop();
    state.tracker = undefined;
  };
}

const suite: BenchSuite = {
  name: 'tracker',
  description: 'HTTP service under load: tracker off / default / debug / why-is-node-running-style hook',
  async run(ctx) {
    const dir = mkdtempSync(join(tmpdir(), 'ballast-bench-tracker-'));
    const file = join(dir, 'payload.bin');
    writeFileSync(file, Buffer.alloc(4096, 1));
    const state: { tracker?: ResourceTracker } = {};
    const server = await startServer(file, state);
    const port = (server.address() as { port: number }).port;
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const requests = ctx.quick ? 500 : 3_000;
    const rounds = ctx.quick ? 3 : Math.max(5, ctx.rounds);
    try {
      await load(port, agent, requests); // warm-up: JIT, sockets
      const modes: Mode[] = ['off', 'default', 'debug', 'stack-hook'];
      const perRound = await interleave(modes, rounds, async (mode) => {
        const disable = enable(mode, state);
        try {
          const cpu = process.cpuUsage();
          const started = performance.now();
          await load(port, agent, requests);
          const ms = performance.now() - started;
          const used = process.cpuUsage(cpu);
          return { rps: (requests * 1_000) / ms, cpuUsPerReq: (used.user + used.system) / requests };
        } finally {
          disable();
        }
      });
      ctx.log(`tracker: ${rounds} rounds of ${requests} requests, concurrency ${CONCURRENCY}`);
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
    } finally {
      agent.destroy();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default suite;

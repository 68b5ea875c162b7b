/**
 * One measured run of the tracker benchmark, in a process of its own: `node tracker.process.js
 * <mode> <requests>` starts the HTTP service, warms it up with `requests` requests, measures
 * `requests` more and prints `{ rps, cpuUsPerReq }` as JSON. A process per run means each mode is
 * measured with its wrappers installed from the start, as in a deployed app; turning them on and
 * off in one process made the JIT deoptimise and re-learn the wrapped call sites every round.
 * Also the unit the callgrind instruction count in docs/benchmarks.md runs.
 */
import { createHook, type AsyncHook } from 'node:async_hooks';
import fs, { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

import { CONCURRENCY, MODES, type Mode, type RunResult } from './tracker.modes.js';

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

async function main(): Promise<void> {
  const mode = process.argv[2] as Mode;
  const requests = Number(process.argv[3] ?? 3_000);
  if (!MODES.includes(mode) || !Number.isInteger(requests) || requests < 1) {
    throw new Error(`usage: tracker.process.js <${MODES.join('|')}> <requests>`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'ballast-bench-tracker-'));
  const file = join(dir, 'payload.bin');
  writeFileSync(file, Buffer.alloc(4096, 1));
  const state: { tracker?: ResourceTracker } = {};
  const disable = enable(mode, state);
  const server = await startServer(file, state);
  const port = (server.address() as { port: number }).port;
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    await load(port, agent, requests); // warm-up: JIT, sockets
    const cpu = process.cpuUsage();
    const started = performance.now();
    await load(port, agent, requests);
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const result: RunResult = { rps: (requests * 1_000) / ms, cpuUsPerReq: (used.user + used.system) / requests };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    disable();
    agent.destroy();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

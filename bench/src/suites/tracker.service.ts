/**
 * One measured run of the tracker benchmark, in a process of its own: `node tracker.process.js
 * <mode> <workload> <requests>` starts the HTTP service, forks the load generator
 * (tracker.load.ts), lets it warm the service up with `requests` requests, measures `requests`
 * more and prints `{ rps, cpuUsPerReq }` as JSON. CPU is the service process's own. Where the
 * machine has two CPUs and `taskset`, the service runs on CPU 0 and the load generator on CPU 1, so
 * neither takes the other's cycles or caches. A process per run means each mode is measured with
 * its wrappers installed from the start, as in a deployed app; turning them on and off in one
 * process made the JIT deoptimise and re-learn the wrapped call sites every round.
 */
import { createHook, type AsyncHook } from 'node:async_hooks';
import fs, { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { fork } from 'node:child_process';
import { createServer, type RequestListener, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  AsyncResourceRecorder,
  ResourceTracker,
  fileHandleSignal,
  socketSignal,
  timerSignal,
  tracked,
  trackerOptions,
} from '@ballast/tracker';

import { MODES, WORKLOADS, pinnedTo, type Mode, type RunResult, type Workload } from './tracker.modes.js';

const LOAD_SCRIPT = fileURLToPath(new URL('./tracker.load.js', import.meta.url));

const CATALOGUE = Array.from({ length: 20 }, (_, i) => ({ id: i, name: `item ${i}`, price: i * 1.5 }));
const onDeadline = (): void => undefined;

function apiHandler(): RequestListener {
  return async (_req, res) => {
    // A per-request deadline, as a timeout interceptor sets one, and an awaited step standing for a
    // pooled call.
    const deadline = setTimeout(onDeadline, 5_000);
    try {
      await new Promise<void>((resolve) => setImmediate(resolve));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ items: CATALOGUE.slice(0, 10), at: Date.now() }));
    } finally {
      clearTimeout(deadline);
    }
  };
}

function filesHandler(file: string, state: { tracker?: ResourceTracker }): RequestListener {
  return async (_req, res) => {
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
  };
}

function startServer(handler: RequestListener): Promise<Server> {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
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
  // The module's defaults (stack sampling, audit trail, limits), with a scan every second rather
  // than every ten, so the scan's own cost shows.
  const defaults = trackerOptions.parse({});
  const tracker = new ResourceTracker({
    defaultMaxLifetimeMs: defaults.leaks.maxLifetimeMs,
    stackSampling: defaults.stacks.sampling,
    auditTrailSize: defaults.audit.size,
  });
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
  const workload = process.argv[3] as Workload;
  const requests = Number(process.argv[4] ?? 3_000);
  if (!MODES.includes(mode) || !WORKLOADS.includes(workload) || !Number.isInteger(requests) || requests < 1) {
    throw new Error(`usage: tracker.process.js <${MODES.join('|')}> <${WORKLOADS.join('|')}> <requests>`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'ballast-bench-tracker-'));
  const file = join(dir, 'payload.bin');
  writeFileSync(file, Buffer.alloc(4096, 1));
  const state: { tracker?: ResourceTracker } = {};
  const disable = enable(mode, state);
  const server = await startServer(workload === 'api' ? apiHandler() : filesHandler(file, state));
  const port = (server.address() as { port: number }).port;
  const [pin, ...pinArgs] = pinnedTo(1);
  const client = fork(LOAD_SCRIPT, [String(port), String(requests)], {
    ...(pin ? { execPath: pin, execArgv: [...pinArgs, process.execPath] } : {}),
  });
  try {
    await new Promise((resolve, reject) => {
      client.once('message', resolve);
      client.once('error', reject);
    });
    const cpu = process.cpuUsage();
    const done = new Promise<{ ms: number }>((resolve, reject) => {
      client.once('message', (message) => resolve(message as { ms: number }));
      client.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
    });
    client.send('go');
    const { ms } = await done;
    const used = process.cpuUsage(cpu);
    const result: RunResult = { rps: (requests * 1_000) / ms, cpuUsPerReq: (used.user + used.system) / requests };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    disable();
    client.kill();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

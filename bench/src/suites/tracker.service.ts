/**
 * One service of the tracker benchmark, in a process of its own: forked with IPC as
 * `tracker.service.js <mode> <workload>`, it starts an app context with `ResourceTrackerModule` at
 * the mode's level for its whole life (as in a deployed app: turning wrappers on and off in one
 * process made the JIT deoptimise and re-learn the wrapped call sites), serves `workload` over a
 * bare `node:http` server (so the tracker's cost is set against a lean request, not Nest's routing), messages `{ kind: 'listening', port }` and answers
 * `{ kind: 'cpu' }` with its process's CPU time so far (all threads, µs), so the suite can take the
 * service's own CPU over each burst of the load generator.
 */
import { createHook, type AsyncHook } from 'node:async_hooks';
import fs, { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { BallastCoreModule } from '@ballast/core';
import { ResourceTrackerModule, tracked } from '@ballast/tracker';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

import { MODES, WORKLOADS, type Mode, type ServiceReply, type ServiceRequest, type Workload } from './tracker.modes.js';

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

function filesHandler(file: string): RequestListener {
  return async (_req, res) => {
    // The same code whatever the mode, as in an app: with the tracker off, `tracked()` registers
    // into core's no-op registry.
    const work = tracked(
      { buffer: Buffer.alloc(256) },
      { type: 'request-buffer', owner: 'BenchController', close: () => undefined },
    );
    const handle = await fs.promises.open(file, 'r');
    try {
      await handle.read(work.value.buffer, 0, 256, 0);
    } finally {
      await handle.close();
      await work.close();
    }
    res.end('ok');
  };
}

function startServer(handler: RequestListener): Promise<Server> {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/**
 * The app around the handler: core and `ResourceTrackerModule` with their defaults, the tracker's
 * level set by the mode (`off` for the why-is-node-running-style hook, which is installed here), and
 * a scan every second rather than every ten so the scan's own cost shows in the bursts. Returns the
 * function that closes it all.
 */
async function startApp(mode: Mode): Promise<() => Promise<void>> {
  @Module({
    imports: [
      BallastCoreModule.forRoot(),
      ResourceTrackerModule.forRoot({
        level: mode === 'default' || mode === 'debug' ? mode : 'off',
        scan: { intervalMs: 1_000 },
      }),
    ],
  })
  class BenchAppModule {}

  const app = await NestFactory.createApplicationContext(BenchAppModule, { logger: false });
  let hook: AsyncHook | undefined;
  if (mode === 'stack-hook') {
    const resources = new Map<number, { type: string; stack: string }>();
    hook = createHook({
      init(id, type) {
        resources.set(id, { type, stack: new Error().stack ?? '' });
      },
      destroy(id) {
        resources.delete(id);
      },
    }).enable();
  }
  return async () => {
    hook?.disable();
    await app.close();
  };
}

async function main(): Promise<void> {
  const mode = process.argv[2] as Mode;
  const workload = process.argv[3] as Workload;
  if (!MODES.includes(mode) || !WORKLOADS.includes(workload) || !process.send) {
    throw new Error(`usage: fork tracker.service.js <${MODES.join('|')}> <${WORKLOADS.join('|')}> with IPC`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'ballast-bench-tracker-'));
  const file = join(dir, 'payload.bin');
  writeFileSync(file, Buffer.alloc(4096, 1));
  const closeApp = await startApp(mode);
  const server = await startServer(workload === 'api' ? apiHandler() : filesHandler(file));
  const stop = (): void => {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
    void closeApp().finally(() => {
      if (process.connected) process.disconnect();
    });
  };
  process.on('message', (message: ServiceRequest) => {
    if (message.kind === 'stop') return stop();
    const used = process.cpuUsage();
    process.send!({ kind: 'cpu', us: used.user + used.system } satisfies ServiceReply);
  });
  process.once('disconnect', () => {
    if (server.listening) stop();
  });
  const port = (server.address() as { port: number }).port;
  process.send({ kind: 'listening', port } satisfies ServiceReply);
}

await main();

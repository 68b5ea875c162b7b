import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from '@jest/globals';
import { Client, Pool } from 'undici';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = `${root}test/core/fixtures/drain-app.mjs`;
const coreBuild = `${root}libs/core/dist/index.js`;

interface Started {
  readonly child: ChildProcessWithoutNullStreams;
  readonly url: string;
  readonly port: number;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

async function start(adapter: 'express' | 'fastify', env: Record<string, string> = {}): Promise<Started> {
  if (!existsSync(coreBuild)) throw new Error(`${coreBuild} is missing: run \`npm run build\` (npm test does)`);
  const child = spawn(process.execPath, [fixture], {
    cwd: root,
    env: { ...process.env, ADAPTER: adapter, NO_COLOR: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL logged within 20 s:\n${output}`)), 20_000);
    const look = () => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout.on('data', look);
    child.once('exit', () => reject(new Error(`fixture exited before listening:\n${output}`)));
  });
  return { child, url, port: Number(new URL(url).port), output: () => output, exited };
}

function stop(started: Started | undefined): void {
  const child = started?.child;
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Resolves once the child's output contains `text`. */
function logged(started: Started, text: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const poll = () => {
      if (started.output().includes(text)) return resolve();
      if (Date.now() > deadline)
        return reject(new Error(`"${text}" not logged within ${timeoutMs} ms:\n${started.output()}`));
      setTimeout(poll, 10);
    };
    poll();
  });
}

interface Outcome {
  readonly sentAt: number;
  readonly status?: number;
  readonly connection?: string;
  readonly body?: string;
  readonly error?: string;
}

const errorCode = (error: unknown): string =>
  String((error as { code?: string }).code ?? (error as Error).message ?? error);

describe.each(['express', 'fastify'] as const)('enableGracefulShutdown on %s', (adapter) => {
  it('drains sustained keep-alive load: readiness 503 at once, Connection: close, nothing reset, exit 0', async () => {
    let started: Started | undefined;
    try {
      // A pre-stop delay as Kubernetes wants it: readiness is 503 while the app keeps serving.
      started = await start(adapter, { BALLAST_SHUTDOWN_GRACE_MS: '5000', BALLAST_SHUTDOWN_PRE_STOP_DELAY_MS: '700' });
      const app = started;
      const connections = 50;
      const load = new Pool(app.url, { connections, pipelining: 1 });
      const probe = new Client(app.url);
      const idle = new Client(app.url);
      const work: Outcome[] = [];
      const readiness: Outcome[] = [];
      let stopped = false;

      const worker = async () => {
        while (!stopped) {
          const sentAt = Date.now();
          try {
            const response = await load.request({ path: '/work?ms=20', method: 'GET' });
            await response.body.text();
            work.push({ sentAt, status: response.statusCode, connection: String(response.headers.connection) });
          } catch (error) {
            work.push({ sentAt, error: errorCode(error) });
            // Refused: the server stopped listening, as it should; this worker is done.
            if (errorCode(error) === 'ECONNREFUSED') return;
          }
        }
      };
      const prober = async () => {
        while (!stopped) {
          const sentAt = Date.now();
          try {
            const response = await probe.request({ path: '/health/ready', method: 'GET' });
            readiness.push({ sentAt, status: response.statusCode, body: await response.body.text() });
          } catch (error) {
            readiness.push({ sentAt, error: errorCode(error) });
            if (errorCode(error) === 'ECONNREFUSED') return;
          }
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      };
      // One kept-alive connection that goes quiet: the drain must close it, not wait for it.
      await (await idle.request({ path: '/work', method: 'GET' })).body.text();
      const workers = [...Array(connections)].map(() => worker());
      const probing = prober();
      while (readiness.filter((r) => r.status === 200).length < 3) await new Promise((r) => setTimeout(r, 50));
      await new Promise((resolve) => setTimeout(resolve, 500));
      const signalAt = Date.now();
      app.child.kill('SIGTERM');
      const exit = await app.exited;
      stopped = true;
      await Promise.all([...workers, probing]);
      await Promise.all([load.close(), probe.close(), idle.close()]);

      expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
      // Within pre-stop + grace (5.7 s) plus the close, far inside Kubernetes' 30 s.
      expect(exit.at - signalAt).toBeLessThan(15_000);

      // Readiness said 503 shutting_down while the app was still serving, and never 200 after that.
      const first503 = readiness.findIndex((r) => r.status === 503);
      expect(first503).toBeGreaterThanOrEqual(0);
      expect(JSON.parse(readiness[first503]!.body!)).toEqual({ status: 'shutting_down' });
      expect(readiness.slice(first503).filter((r) => r.status === 200)).toEqual([]);
      const servedWhileNotReady = work.filter((w) => w.sentAt > readiness[first503]!.sentAt && w.status === 200);
      expect(servedWhileNotReady.length).toBeGreaterThan(0);

      // Every request that reached the app was answered 200; each kept-alive connection ended with
      // one answer carrying Connection: close (at most one per connection, none before the signal).
      expect(work.filter((w) => w.status !== undefined && w.status !== 200)).toEqual([]);
      const closing = work.filter((w) => w.connection === 'close');
      expect(closing.length).toBeGreaterThan(0);
      expect(closing.length).toBeLessThanOrEqual(connections);
      expect(work.filter((w) => w.sentAt < signalAt - 50 && w.connection === 'close')).toEqual([]);
      // The only failures are connects refused once the server stopped listening: nothing sent
      // on an open connection was reset.
      const failures = [...work, ...readiness].filter((w) => w.error !== undefined);
      expect(failures.filter((w) => w.error !== 'ECONNREFUSED')).toEqual([]);

      const log = app.output();
      expect(log).toContain('SIGTERM received: readiness answers 503 shutting_down');
      expect(log).toMatch(
        /HTTP drained in \d+ ms: \d+ requests completed \([1-9]\d* answered with Connection: close\), [1-9]\d* idle connections closed/,
      );
      expect(log).toContain('nothing cut');
      expect(log).toContain('resource closed after SIGTERM');
      expect(log).toContain('exit code 0');
    } finally {
      stop(started);
    }
  }, 60_000);

  it('cuts what outlives the grace period and says what it cut, then still closes and exits 0', async () => {
    let started: Started | undefined;
    try {
      started = await start(adapter, { BALLAST_SHUTDOWN_GRACE_MS: '300' });
      const client = new Client(started.url);
      const hanging = client.request({ path: '/work?ms=60000', method: 'GET' }).then(
        () => 'answered',
        (error: unknown) => errorCode(error),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      started.child.kill('SIGTERM');
      const exit = await started.exited;
      expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
      expect(await hanging).not.toBe('answered');
      await client.close();
      expect(started.output()).toMatch(
        /Grace of 300 ms over after \d+ ms: cut 1 requests in flight on 1 connections \(GET \/work\)/,
      );
      expect(started.output()).toContain('exit code 0');
    } finally {
      stop(started);
    }
  }, 30_000);
});

describe('enableGracefulShutdown bounds', () => {
  it('exits 1 at once on a second signal while the close hangs', async () => {
    let started: Started | undefined;
    try {
      started = await start('express', { HANG_CLOSE_MS: '60000', BALLAST_SHUTDOWN_CLOSE_TIMEOUT_MS: '60000' });
      started.child.kill('SIGTERM');
      await logged(started, 'HTTP drained');
      const secondAt = Date.now();
      started.child.kill('SIGTERM');
      const exit = await started.exited;
      expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 1, signal: null });
      expect(exit.at - secondAt).toBeLessThan(5_000);
      expect(started.output()).toMatch(/Second SIGTERM while closing: exiting with 1 now/);
    } finally {
      stop(started);
    }
  }, 30_000);

  it('exits 1 when app.close() outlives its bound', async () => {
    let started: Started | undefined;
    try {
      started = await start('express', { HANG_CLOSE_MS: '60000', BALLAST_SHUTDOWN_CLOSE_TIMEOUT_MS: '500' });
      started.child.kill('SIGINT');
      const exit = await started.exited;
      expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 1, signal: null });
      expect(started.output()).toContain('app.close() did not finish within 500 ms; exit code 1');
    } finally {
      stop(started);
    }
  }, 30_000);

  it('listens with the production server settings and backlog', async () => {
    let started: Started | undefined;
    try {
      started = await start('express');
      expect(started.output()).toContain('keepAlive=65000 headers=66000 request=120000');
      // ss shows a listening socket's backlog in Send-Q; the kernel caps it at somaxconn.
      const somaxconn = Number(execFileSync('cat', ['/proc/sys/net/core/somaxconn'], { encoding: 'utf8' }).trim());
      const listing = execFileSync('ss', ['-ltnH', `sport = :${started.port}`], { encoding: 'utf8' });
      const backlog = Number(listing.trim().split(/\s+/)[2]);
      expect(backlog).toBe(Math.min(4096, somaxconn));
    } finally {
      stop(started);
    }
  }, 30_000);
});

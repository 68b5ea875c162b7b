import childProcess from 'node:child_process';
import { once } from 'node:events';
import { Agent, createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import workerThreads from 'node:worker_threads';

import { afterEach, describe, expect, it } from '@jest/globals';
import { RESOURCE_TRACKER, type ResourceTracker } from '@ballast/tracker';
import type { INestApplication } from '@nestjs/common';
import { Pool as UndiciPool } from 'undici';

import { startTrackerApp } from './tracker-test.app.js';

const start = (signals: { childProcesses?: boolean; workers?: boolean } = {}): Promise<INestApplication> =>
  startTrackerApp({ signals: { ...signals, pollIntervalMs: 0 } });

/** Open and not declared long-lived: what a scan could report. */
const open = (tracker: ResourceTracker, type: string) => tracker.list({ type }).filter((r) => !r.longLived);

describe('child process and worker signals', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('tracks a spawned and an exec-ed child until each exits, once each, without their arguments', async () => {
    app = await start();
    const tracker = app.get<ResourceTracker>(RESOURCE_TRACKER);
    const spawned = tracker.runAs('ReportJob', () =>
      childProcess.spawn(process.execPath, ['-e', 'setTimeout(() => {}, 300)', '--token=hunter2']),
    );
    // exec goes through execFile: one child, one record.
    const execed = childProcess.exec(`"${process.execPath}" -e "setTimeout(() => {}, 300)"`);
    const children = open(tracker, 'child-process');
    expect(children).toHaveLength(2);
    expect(children.find((c) => c.details?.pid === spawned.pid)).toMatchObject({
      owner: 'ReportJob',
      details: { command: process.execPath, via: 'spawn' },
    });
    expect(children.find((c) => c.details?.pid === execed.pid)).toBeDefined();
    expect(JSON.stringify(children)).not.toContain('hunter2');
    await Promise.all([once(spawned, 'exit'), once(execed, 'exit')]);
    expect(open(tracker, 'child-process')).toEqual([]);
  });

  it('releases a child that never started', async () => {
    app = await start();
    const tracker = app.get<ResourceTracker>(RESOURCE_TRACKER);
    const child = childProcess.spawn('/nonexistent/ballast-binary');
    await once(child, 'error');
    expect(open(tracker, 'child-process')).toEqual([]);
  });

  it('tracks a worker until it exits; its owner can declare it long-lived without a second record', async () => {
    app = await start();
    const tracker = app.get<ResourceTracker>(RESOURCE_TRACKER);
    const worker = tracker.runAs(
      'Thumbnails',
      () => new workerThreads.Worker('setTimeout(() => {}, 60_000)', { eval: true }),
    );
    expect(worker).toBeInstanceOf(workerThreads.Worker);
    expect(open(tracker, 'worker')).toEqual([
      expect.objectContaining({ owner: 'Thumbnails', details: { script: '[eval]', threadId: worker.threadId } }),
    ]);
    const handle = tracker.register(worker, { type: 'worker', owner: 'ThumbnailPool', longLived: true });
    expect(tracker.list({ type: 'worker' })).toEqual([
      expect.objectContaining({ owner: 'ThumbnailPool', longLived: true }),
    ]);
    expect(open(tracker, 'worker')).toEqual([]);
    expect(handle.owner).toBe('ThumbnailPool');
    await worker.terminate();
    expect(tracker.list({ type: 'worker' })).toEqual([]);
  });

  it('lets the owner of a long timer the signal saw declare it long-lived, as one record', async () => {
    app = await start();
    const tracker = app.get<ResourceTracker>(RESOURCE_TRACKER);
    const timer = setInterval(() => undefined, 3_600_000);
    try {
      expect(open(tracker, 'interval')).toHaveLength(1);
      tracker.register(timer, { type: 'interval', owner: 'RetentionJob', longLived: true });
      expect(tracker.list({ type: 'interval' })).toEqual([
        expect.objectContaining({ owner: 'RetentionJob', longLived: true, details: { delayMs: 3_600_000 } }),
      ]);
    } finally {
      clearInterval(timer);
    }
    expect(tracker.list({ type: 'interval' })).toEqual([]);
  });

  it('can be turned off, and puts the originals back on close', async () => {
    const { spawn, exec } = childProcess;
    const { Worker } = workerThreads;
    app = await start({ childProcesses: false, workers: false });
    expect(childProcess.spawn).toBe(spawn);
    expect(workerThreads.Worker).toBe(Worker);
    await app.close();
    app = await start();
    expect(childProcess.spawn).not.toBe(spawn);
    expect(workerThreads.Worker).not.toBe(Worker);
    await app.close();
    app = undefined;
    expect(childProcess.spawn).toBe(spawn);
    expect(childProcess.exec).toBe(exec);
    expect(workerThreads.Worker).toBe(Worker);
  });
});

describe('socket signal', () => {
  let app: INestApplication | undefined;
  let server: Server | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
  });

  async function listen(): Promise<number> {
    server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  it('names a client socket by its first http request, without the query string, and counts accepted connections as long-lived', async () => {
    app = await start();
    const tracker = app.get<ResourceTracker>(RESOURCE_TRACKER);
    const port = await listen();
    const agent = new Agent({ keepAlive: true });
    try {
      const get = (path: string) =>
        new Promise<void>((resolve, reject) => {
          httpRequest({ host: '127.0.0.1', port, path, agent }, (res) => res.resume().on('end', resolve))
            .on('error', reject)
            .end();
        });
      await get('/orders/7?token=hunter2');
      await get('/second');
      const [client] = tracker.list({ type: 'socket' });
      expect(client?.details).toMatchObject({
        request: `GET http://127.0.0.1:${port}/orders/7`,
        remote: `127.0.0.1:${port}`,
      });
      expect(JSON.stringify(tracker.list())).not.toContain('hunter2');
      expect(tracker.list({ type: 'server-socket' })).toEqual([
        expect.objectContaining({ longLived: true, details: expect.objectContaining({ local: port }) }),
      ]);
      expect(tracker.detectLeaks({ maxLifetimeMs: 0 }).map((l) => l.type)).not.toContain('server-socket');
    } finally {
      agent.destroy();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(tracker.list({ type: 'socket' })).toEqual([]);
    expect(tracker.list({ type: 'server-socket' })).toEqual([]);
  });

  it('names an undici socket by its origin', async () => {
    app = await start();
    const tracker = app.get<ResourceTracker>(RESOURCE_TRACKER);
    const port = await listen();
    const pool = new UndiciPool(`http://127.0.0.1:${port}`);
    try {
      const response = await pool.request({ path: '/?secret=1', method: 'GET' });
      await response.body.text();
      expect(tracker.list({ type: 'socket' })).toEqual([
        expect.objectContaining({ details: expect.objectContaining({ origin: `http://127.0.0.1:${port}` }) }),
      ]);
      // Kept by undici's pool for reuse: long-lived, never held too long under a short global limit.
      expect(open(tracker, 'socket')).toEqual([]);
    } finally {
      await pool.close();
    }
  });
});

/**
 * The ways a leak scenario opens resources: each kind opens one real resource through a plain
 * Node (or pg / ioredis) API, inside the app's own AsyncLocalStorage context, and says how to close
 * it and what the tracker should call it. Builtins are reached through their module objects
 * (`fs.open`, `net.connect`): Jest hands ESM named imports of builtins over as a snapshot that does
 * not follow wrappers installed later (plain Node does, through syncBuiltinESMExports).
 */
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net, { type Socket } from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';

import type { ResourceTracker } from '@ballast/tracker';
import { Redis } from 'ioredis';
import pg from 'pg';

export type Fate = 'leaked' | 'abandoned' | 'long-lived' | 'slow' | 'self-closing' | 'closed';

/** What the kinds share: the scenario's servers and files. */
export interface KindContext {
  readonly tracker: ResourceTracker;
  readonly dir: string;
  readonly file: string;
  /** A TCP server that keeps every connection open (and never speaks TLS). */
  readonly keepPort: number;
  /** A TCP server that ends every connection at once. */
  readonly endPort: number;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /** A fresh file path for this entry (watchFile keeps one watcher per path). */
  freshFile(): string;
}

/** One opened resource: what `tracker.find` is given, how to close it, and what drops it. */
export interface Opened {
  /** The resource as an app holds it; read again after the scenario settles when it is made later. */
  readonly resource: () => unknown;
  readonly close?: () => unknown;
  /** For `abandoned`: forget every reference, so the GC can take it. */
  readonly abandon?: () => object;
}

export interface Kind {
  /** What the tracker should report it as. */
  readonly type: string;
  /** Opened before the tracker's signals start (pool-style clients, registered by the app itself). */
  readonly before?: boolean;
  open(ctx: KindContext, fate: Fate): Promise<Opened> | Opened;
}

const sleepy = () => undefined;

function quietSocket(socket: Socket): Socket {
  socket.on('error', sleepy);
  return socket;
}

/** The first scenario's kinds: the paths docs/tracker.md listed before issue 14. */
export const SEEN_KINDS: Record<string, Kind> = {
  'file-handle': {
    type: 'file-handle',
    async open(ctx, fate) {
      let fh: fs.promises.FileHandle | undefined = await fs.promises.open(ctx.file, 'r');
      const kept = fh;
      return {
        resource: () => kept,
        close: () => fh?.close(),
        abandon: fate === 'abandoned' ? () => ((fh = undefined), kept) : undefined,
      };
    },
  },
  fd: {
    type: 'fd',
    open(ctx) {
      const fd = fs.openSync(ctx.file, 'r');
      return { resource: () => fd, close: () => fs.closeSync(fd) };
    },
  },
  socket: {
    type: 'socket',
    open(ctx, fate) {
      const socket = quietSocket(net.connect(fate === 'self-closing' ? ctx.endPort : ctx.keepPort, '127.0.0.1'));
      return { resource: () => socket, close: () => socket.destroy() };
    },
  },
  timeout: {
    type: 'timeout',
    open(_ctx, fate) {
      // Self-closing timeouts are short and never tracked; the tracked ones are an hour long.
      const timer = setTimeout(sleepy, fate === 'self-closing' ? 30 : 60 * 60_000);
      timer.unref();
      return { resource: () => timer, close: () => clearTimeout(timer) };
    },
  },
  interval: {
    type: 'interval',
    open() {
      const timer = setInterval(sleepy, 60 * 60_000);
      timer.unref();
      return { resource: () => timer, close: () => clearInterval(timer) };
    },
  },
  'user-object': {
    type: 'user-object',
    open(ctx, fate) {
      let object: object | undefined = { buffer: new Array<number>(64).fill(0) };
      const kept = object;
      const handle = ctx.tracker.register(object, { type: 'user-object' });
      return {
        resource: () => handle,
        close: () => handle.release(),
        abandon: fate === 'abandoned' ? () => ((object = undefined), kept) : undefined,
      };
    },
  },
  'db-connection': {
    type: 'db-connection',
    before: true,
    async open(ctx) {
      const client = new pg.Client({ connectionString: ctx.databaseUrl });
      await client.connect();
      const handle = ctx.tracker.register(client, { type: 'db-connection', details: { url: ctx.databaseUrl } });
      return { resource: () => handle, close: async () => (await client.end(), handle.release()) };
    },
  },
  'redis-client': {
    type: 'redis-client',
    before: true,
    async open(ctx) {
      const client = new Redis(ctx.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await client.connect();
      const handle = ctx.tracker.register(client, { type: 'redis-client' });
      return { resource: () => handle, close: async () => (await client.quit(), handle.release()) };
    },
  },
};

/** A pg client's own socket (pg keeps it as `connection.stream`). */
function pgSocket(client: pg.Client): Socket {
  return (client as unknown as { connection: { stream: Socket } }).connection.stream;
}

/**
 * The second scenario's kinds: creation paths issue 14 found without a signal, and the close
 * paths that were false positives (`timeout.close()`, `clearInterval(numericId)`).
 */
export const UNSEEN_KINDS: Record<string, Kind> = {
  'new-socket-connect': {
    type: 'socket',
    open(ctx, fate) {
      const socket = quietSocket(new net.Socket());
      socket.connect(fate === 'self-closing' ? ctx.endPort : ctx.keepPort, '127.0.0.1');
      return { resource: () => socket, close: () => socket.destroy() };
    },
  },
  'tls-connect': {
    type: 'tls-socket',
    open(ctx, fate) {
      // The keep server never answers the handshake: the socket stays open, as a hung TLS client does.
      const socket = tls.connect({
        port: fate === 'self-closing' ? ctx.endPort : ctx.keepPort,
        host: '127.0.0.1',
        rejectUnauthorized: false,
      });
      socket.on('error', sleepy);
      return { resource: () => socket, close: () => socket.destroy() };
    },
  },
  'pg-client': {
    type: 'socket',
    async open(ctx) {
      const client = new pg.Client({ connectionString: ctx.databaseUrl });
      client.on('error', sleepy);
      await client.connect();
      return { resource: () => pgSocket(client), close: () => client.end() };
    },
  },
  'udp-socket': {
    type: 'udp-socket',
    async open() {
      const socket = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      socket.unref();
      return { resource: () => socket, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
    },
  },
  'fs-watch': {
    type: 'fs-watcher',
    open(ctx) {
      const watcher = fs.watch(ctx.dir, sleepy);
      watcher.unref();
      return { resource: () => watcher, close: () => watcher.close() };
    },
  },
  'fs-watch-file': {
    type: 'stat-watcher',
    open(ctx) {
      const path = ctx.freshFile();
      const watcher = fs.watchFile(path, { interval: 60_000, persistent: false }, sleepy);
      return { resource: () => watcher, close: () => fs.unwatchFile(path) };
    },
  },
  'fs-promises-watch': {
    type: 'fs-watch-iterator',
    open(ctx) {
      const abort = new AbortController();
      const iterator = fs.promises.watch(ctx.dir, {
        signal: abort.signal,
        persistent: false,
      }) as AsyncIterableIterator<unknown>;
      // A `for await` that never ends: the first next() starts the watch and stays pending.
      void iterator.next().catch(sleepy);
      return { resource: () => iterator, close: () => abort.abort() };
    },
  },
  'immediate-loop': {
    type: 'immediate-chain',
    open(_ctx, fate) {
      let running = true;
      let hops = 0;
      let latest: NodeJS.Immediate | undefined;
      // A poller that yields with setImmediate; a self-closing one drains its queue and stops.
      const loop = (): void => {
        hops += 1;
        if (!running || (fate === 'self-closing' && hops > 150)) return;
        latest = setImmediate(loop);
      };
      latest = setImmediate(loop);
      return { resource: () => latest, close: () => void (running = false) };
    },
  },
  'listener-growth': {
    type: 'listeners',
    open() {
      // A shared client that gets a listener per request and never loses one.
      const emitter = new EventEmitter();
      emitter.setMaxListeners(0);
      for (let i = 0; i < 60; i++) emitter.on('reply', () => i);
      return { resource: () => emitter, close: () => emitter.removeAllListeners('reply') };
    },
  },
  'fs-open-callback': {
    type: 'fd',
    async open(ctx) {
      const fd = await new Promise<number>((resolve, reject) =>
        fs.open(ctx.file, 'r', (error, opened) => (error ? reject(error) : resolve(opened))),
      );
      return { resource: () => fd, close: () => new Promise((resolve) => fs.close(fd, resolve)) };
    },
  },
  'timeout-closed-by-close': {
    type: 'timeout',
    open() {
      const timer = setTimeout(sleepy, 60 * 60_000);
      timer.unref();
      return { resource: () => timer, close: () => timer.close() };
    },
  },
  'interval-cleared-by-id': {
    type: 'interval',
    open() {
      const timer = setInterval(sleepy, 60 * 60_000);
      timer.unref();
      const id = +timer;
      return { resource: () => id, close: () => clearInterval(id) };
    },
  },
  'file-handle-declared': {
    type: 'file-handle',
    async open(ctx, fate) {
      let fh: fs.promises.FileHandle | undefined = await fs.promises.open(join(ctx.dir, 'data.txt'), 'r');
      const kept = fh;
      return {
        resource: () => kept,
        close: () => fh?.close(),
        abandon: fate === 'abandoned' ? () => ((fh = undefined), kept) : undefined,
      };
    },
  },
};

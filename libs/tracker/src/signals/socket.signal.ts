import diagnostics from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import net, { type Socket } from 'node:net';

import type { TrackedHandle } from '../resource-tracker.js';
import type { ResourceSignal } from './signal.interface.js';

function remoteOf(socket: Socket): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}

/** A URL without its query string or credentials, which may carry secrets. */
function requestTarget(request: ClientRequest): string {
  const path = request.path.split('?', 1)[0];
  const host = request.getHeader('host') ?? request.host;
  return `${request.method} ${request.protocol}//${String(host)}${path}`;
}

/**
 * Sockets: one call per connection, nothing on the data path.
 * - `net.Socket.prototype.connect`, wrapped: every client socket however it was made
 *   (`net.connect`, `new net.Socket().connect()` as pg does, `tls.connect`, http, undici,
 *   ioredis), as `socket` or `tls-socket`, owned by whoever called connect, released on the
 *   socket's own 'close', so server-ended sockets are not leaks. (Node 20's `net.client.socket`
 *   channel is published by `net.connect` only.) A socket that connects again keeps its record.
 * - `net.server.socket`: accepted connections, recorded as long-lived `server-socket`s (a peer
 *   keeping its connection open is not our leak) so they are counted, listed and forecast.
 * - `http.client.request.start` and `undici:client:connected` name what a client socket was opened
 *   for (first request only, query string dropped), which is what finds a leaked socket's owner.
 *   A socket undici connected is long-lived: undici's own pool keeps it and closes it when idle.
 */
export const socketSignal: ResourceSignal = {
  name: 'sockets',
  start(tracker) {
    // Client sockets not yet named by a request or an origin, and how many: with none waiting, as
    // on a keep-alive agent's reused sockets, a request costs the channel one comparison.
    const unnamed = new WeakMap<Socket, TrackedHandle>();
    let waiting = 0;
    const forget = (socket: Socket): TrackedHandle | undefined => {
      const handle = unnamed.get(socket);
      if (handle && unnamed.delete(socket)) waiting -= 1;
      return handle;
    };
    const releaseOnClose = (socket: Socket, handle: TrackedHandle): void => {
      socket.once('close', () => {
        forget(socket);
        handle.release();
      });
    };
    const describe = (socket: Socket | null | undefined, details: Record<string, unknown>): void => {
      const handle = socket && forget(socket);
      if (handle) handle.annotate(details);
    };

    const recorded = new WeakMap<Socket, TrackedHandle>();
    const onConnect = (socket: Socket): void => {
      const known = recorded.get(socket);
      if (socket.destroyed || (known && tracker.find(known))) return;
      const type = (socket as Socket & { encrypted?: boolean }).encrypted ? 'tls-socket' : 'socket';
      const handle = tracker.registerObserved(socket, { type, collectable: false });
      recorded.set(socket, handle);
      socket.once('connect', () => handle.annotate({ remote: remoteOf(socket) }));
      unnamed.set(socket, handle);
      waiting += 1;
      releaseOnClose(socket, handle);
    };
    const onServerSocket = (message: unknown): void => {
      const socket = (message as { socket?: Socket }).socket;
      if (!socket || socket.destroyed) return;
      const handle = tracker.registerObserved(socket, {
        type: 'server-socket',
        collectable: false,
        longLived: true,
        details: { remote: remoteOf(socket), local: socket.localPort },
      });
      releaseOnClose(socket, handle);
    };
    const onHttpRequest = (message: unknown): void => {
      if (waiting === 0) return;
      const request = (message as { request?: ClientRequest }).request;
      if (!request) return;
      if (request.socket) describe(request.socket, { request: requestTarget(request) });
      else request.once('socket', (socket) => describe(socket, { request: requestTarget(request) }));
    };
    const onUndiciConnected = (message: unknown): void => {
      const { socket, connectParams } = message as {
        socket?: Socket;
        connectParams?: { protocol?: string; host?: string };
      };
      const handle = socket && forget(socket);
      if (!handle) return;
      handle.annotate({ origin: `${connectParams?.protocol ?? ''}//${connectParams?.host ?? '?'}` });
      // undici keeps its connections for reuse and closes an idle one itself after its keep-alive
      // timeout: a socket it holds is its pool's, not a leak (a dispatcher never closed is, and the
      // HTTP pool registers that). Long-lived, like a pooled pg connection's socket.
      handle.declareLongLived();
    };

    const prototype = net.Socket.prototype as unknown as { connect: (this: Socket, ...args: unknown[]) => Socket };
    const originalConnect = prototype.connect;
    const connect = function connect(this: Socket): Socket {
      onConnect(this);
      // eslint-disable-next-line prefer-rest-params -- connect's own overloads, passed on untouched
      return Reflect.apply(originalConnect, this, arguments) as Socket;
    };
    prototype.connect = connect;
    const subscriptions: Array<[string, (message: unknown) => void]> = [
      ['net.server.socket', onServerSocket],
      ['http.client.request.start', onHttpRequest],
      ['undici:client:connected', onUndiciConnected],
    ];
    for (const [channel, listener] of subscriptions) diagnostics.subscribe(channel, listener);
    return () => {
      for (const [channel, listener] of subscriptions) diagnostics.unsubscribe(channel, listener);
      if (prototype.connect === connect) prototype.connect = originalConnect;
    };
  },
};

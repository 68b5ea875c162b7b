import diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

import type { ResourceSignal } from './signal.interface.js';

/**
 * Client sockets (net, http, undici, pg, ioredis all go through `net.connect`) from the
 * `net.client.socket` channel: one subscriber call per connection, nothing on the data path.
 * Released on the socket's own 'close', so server-ended sockets are not mistaken for leaks.
 */
export const socketSignal: ResourceSignal = {
  name: 'sockets',
  start(tracker) {
    const onSocket = (message: unknown): void => {
      const socket = (message as { socket?: Socket }).socket;
      if (!socket || socket.destroyed) return;
      const handle = tracker.register(socket, { type: 'socket' });
      socket.once('connect', () => {
        handle.annotate({ remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}` });
      });
      socket.once('close', () => handle.release());
    };
    diagnostics.subscribe('net.client.socket', onSocket);
    return () => {
      diagnostics.unsubscribe('net.client.socket', onSocket);
    };
  },
};

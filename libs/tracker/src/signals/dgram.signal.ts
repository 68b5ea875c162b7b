import dgram from 'node:dgram';
import { syncBuiltinESMExports } from 'node:module';

import type { ResourceSignal } from './signal.interface.js';

type CreateSocket = (...args: unknown[]) => dgram.Socket;

/**
 * UDP sockets from `dgram.createSocket` (the only public way to make one), as `udp-socket`,
 * released on the socket's 'close'. Node has no diagnostics channel for them: the function is
 * wrapped (and restored).
 */
export const dgramSignal: ResourceSignal = {
  name: 'dgram',
  start(tracker) {
    const target = dgram as unknown as { createSocket: CreateSocket };
    const original = target.createSocket;
    const createSocket = function createSocket(this: unknown, ...args: unknown[]) {
      const socket = original.apply(this, args);
      const options = args[0];
      const kind = typeof options === 'string' ? options : (options as { type?: string } | undefined)?.type;
      const handle = tracker.registerObserved(socket, {
        type: 'udp-socket',
        collectable: false,
        details: { kind: String(kind) },
      });
      socket.once('close', () => handle.release());
      return socket;
    };
    target.createSocket = createSocket;
    syncBuiltinESMExports();
    return () => {
      if (target.createSocket === createSocket) target.createSocket = original;
      syncBuiltinESMExports();
    };
  },
};

import type { Socket } from 'node:net';

import type { ResourceHandle, ResourceRegistry } from '@ballast/core';
import type { Redis } from 'ioredis';

/**
 * Files each socket an L2 client opens under the cache module, long-lived, and releases it when it
 * closes. ioredis opens a new socket on every reconnect, so the registration follows the client's
 * `connect` events rather than registering the first socket once: the old socket's record would
 * stay open after the reconnect closed it and be reported as collected-without-close, and the new
 * one would show as an unowned socket. Returns the function that releases whatever is still filed.
 */
export function registerL2Sockets(client: Redis, registry: ResourceRegistry, owner: string, role: string): () => void {
  let current: { socket: Socket; handle: ResourceHandle } | undefined;
  const onConnect = () => {
    const socket = (client as unknown as { stream?: Socket }).stream;
    if (!registry.tracking || socket === undefined || socket === current?.socket || socket.destroyed) return;
    current?.handle.release();
    const handle = registry.register(socket, {
      type: 'socket',
      owner,
      longLived: true,
      details: { role, local: socket.localPort },
    });
    const entry = { socket, handle };
    current = entry;
    socket.once('close', () => {
      handle.release();
      if (current === entry) current = undefined;
    });
  };
  client.on('connect', onConnect);
  return () => {
    client.off('connect', onConnect);
    current?.handle.release();
    current = undefined;
  };
}

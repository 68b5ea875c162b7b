import type { Socket } from 'node:net';

/**
 * The socket under a pooled client, for the resource registry's `parts`: pg's `client.connection.stream`
 * or ioredis' `client.stream`. Registered with the client, the tracker files the socket its own
 * signal saw under the pool (long-lived) instead of reporting a socket held for hours.
 */
export function socketParts(resource: unknown): object[] {
  const r = resource as { connection?: { stream?: Socket }; stream?: Socket } | null;
  const socket = r?.connection?.stream ?? r?.stream;
  return socket !== null && typeof socket === 'object' && typeof socket.destroy === 'function' ? [socket] : [];
}

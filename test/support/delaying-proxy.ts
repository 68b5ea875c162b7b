import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy of the test's own in front of a real server that hands the client what the server
 * sends `delayMs` late, in order: an instance behind it hears pub/sub messages later than one
 * connected directly (a slower link or a busier process), without touching the shared server.
 */
export class DelayingProxy {
  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly sockets: Set<Socket>,
    private readonly timers: Set<NodeJS.Timeout>,
  ) {}

  static async start(targetHost: string, targetPort: number, delayMs: number): Promise<DelayingProxy> {
    const sockets = new Set<Socket>();
    const timers = new Set<NodeJS.Timeout>();
    const server = createServer((client) => {
      const upstream = connect({ host: targetHost, port: targetPort });
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
        socket.setNoDelay(true);
      }
      client.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => {
        // Equal delays fire in the order they were set: chunks stay in order.
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!client.destroyed) client.write(chunk);
        }, delayMs);
        timers.add(timer);
      });
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return new DelayingProxy(server, (server.address() as { port: number }).port, sockets, timers);
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

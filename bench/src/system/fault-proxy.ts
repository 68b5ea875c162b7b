import { createConnection, createServer, type Server, type Socket } from 'node:net';

export type ProxyMode = { kind: 'pass' } | { kind: 'cut' } | { kind: 'latency'; ms: number };

/**
 * A TCP proxy that injects faults between the demo and one of its servers: `cut()` resets every
 * open connection and every new one (as a dead link or a crashed server would look to a client),
 * `latency(ms)` delays every chunk in both directions, `restore()` passes traffic through again.
 */
export class FaultProxy {
  private readonly server: Server;
  private readonly pairs = new Set<[Socket, Socket]>();
  private mode: ProxyMode = { kind: 'pass' };
  private listeningPort = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.server = createServer((client) => this.accept(client));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.listeningPort = (this.server.address() as { port: number }).port;
    return this.listeningPort;
  }

  get port(): number {
    return this.listeningPort;
  }

  get connections(): number {
    return this.pairs.size;
  }

  cut(): void {
    this.mode = { kind: 'cut' };
    for (const [client, upstream] of this.pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  latency(ms: number): void {
    this.mode = { kind: 'latency', ms };
  }

  restore(): void {
    this.mode = { kind: 'pass' };
  }

  async close(): Promise<void> {
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.mode.kind === 'cut') {
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    this.pipe(client, upstream);
    this.pipe(upstream, client);
  }

  private pipe(from: Socket, to: Socket): void {
    // Delayed chunks wait in order in one queue per direction, so bytes never overtake each other,
    // not even when the latency is lifted while some are still waiting.
    const queue: Array<{ due: number; chunk: Buffer }> = [];
    let timer: NodeJS.Timeout | undefined;
    const drain = () => {
      timer = undefined;
      const now = Date.now();
      while (queue.length && queue[0]!.due <= now) {
        const { chunk } = queue.shift()!;
        if (!to.destroyed) to.write(chunk);
      }
      if (queue.length) timer = setTimeout(drain, queue[0]!.due - now);
    };
    from.on('data', (chunk: Buffer) => {
      const delay = this.mode.kind === 'latency' ? this.mode.ms : 0;
      if (delay === 0 && queue.length === 0) {
        if (!to.destroyed) to.write(chunk);
        return;
      }
      queue.push({ due: Date.now() + delay, chunk });
      timer ??= setTimeout(drain, queue[0]!.due - Date.now());
    });
    from.on('close', () => clearTimeout(timer));
  }
}

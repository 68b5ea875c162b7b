import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import { Client, Pool } from 'undici';

/** Headers that belong to one hop and are never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
  'content-length',
]);

/** Errors that mean the request never reached the instance: safe to send elsewhere whatever the method. */
const NOT_SENT = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);

interface Backend {
  readonly slot: number;
  url: string;
  pool: Pool;
  probe: Client;
  /** Readiness as last probed: new instances start out of rotation until their first 200. */
  ready: boolean;
}

export class ProxyStats {
  requests = 0;
  /** Attempts sent to another instance after a 503 or a refused connection. */
  retries = 0;
  /** Answers the proxy itself had to give (502/503) because no instance answered. */
  failures = 0;
  /** Requests that found no ready instance at all. */
  noBackend = 0;
}

export interface RoundRobinProxyOptions {
  /** How often each instance's `/health/ready` is polled (a load balancer's health check). */
  readonly probeIntervalMs?: number;
  /** Connections per instance. */
  readonly connectionsPerBackend?: number;
}

/**
 * A small round-robin HTTP load balancer of the suite's own, behaving as the usual ones do: it
 * polls every instance's readiness and sends only to ready ones (so a draining instance, whose
 * readiness answers 503 at once, stops getting traffic), and it retries a request on another
 * instance when the connection was refused (nothing was sent, any method) or when an idempotent
 * request (GET, HEAD) got a 503. A 503 to a POST is passed on: the client decides.
 */
export class RoundRobinProxy {
  readonly stats = new ProxyStats();
  private readonly backends: Backend[] = [];
  private readonly server: Server;
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private listeningPort = 0;
  private readonly probeIntervalMs: number;
  private readonly connectionsPerBackend: number;

  constructor(options: RoundRobinProxyOptions = {}) {
    this.probeIntervalMs = options.probeIntervalMs ?? 100;
    this.connectionsPerBackend = options.connectionsPerBackend ?? 64;
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 65_000;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.listeningPort = (this.server.address() as { port: number }).port;
    this.timer = setTimeout(() => void this.probeAll(), 0);
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${this.listeningPort}`;
  }

  /** Puts an instance at `slot` (a new one, or the replacement of a restarted one); it takes traffic once ready. */
  async setBackend(slot: number, url: string): Promise<void> {
    const old = this.backends[slot];
    this.backends[slot] = {
      slot,
      url,
      pool: new Pool(url, {
        connections: this.connectionsPerBackend,
        pipelining: 1,
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
        connectTimeout: 2_000,
      }),
      probe: new Client(url, { headersTimeout: 1_000, bodyTimeout: 1_000, connectTimeout: 1_000 }),
      ready: false,
    };
    if (old) await Promise.all([old.pool.destroy(), old.probe.destroy()]);
  }

  /** Resolves once the instance at `slot` has been probed ready (or rejects after `timeoutMs`). */
  async waitReady(slot: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.backends[slot]?.ready) {
      if (Date.now() > deadline) throw new Error(`instance ${slot} was not ready within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  isReady(slot: number): boolean {
    return this.backends[slot]?.ready ?? false;
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all(this.backends.flatMap((b) => [b.pool.destroy(), b.probe.destroy()]));
  }

  private async probeAll(): Promise<void> {
    await Promise.all(this.backends.map((backend) => this.probe(backend)));
    if (this.timer) this.timer = setTimeout(() => void this.probeAll(), this.probeIntervalMs);
  }

  private async probe(backend: Backend): Promise<void> {
    const probe = backend.probe;
    let ready: boolean;
    try {
      const response = await probe.request({ path: '/health/ready', method: 'GET' });
      await response.body.dump();
      ready = response.statusCode === 200;
    } catch {
      ready = false;
    }
    // The slot may have been given to a new instance while this probe ran.
    if (this.backends[backend.slot]?.probe === probe) backend.ready = ready;
  }

  /** Ready instances in round-robin order, starting with the next one's turn. */
  private rotation(): Backend[] {
    const ready = this.backends.filter((b) => b.ready);
    if (ready.length === 0) return [];
    const start = this.next++ % ready.length;
    return [...ready.slice(start), ...ready.slice(0, start)];
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? Buffer.concat(chunks) : undefined;
    const method = req.method ?? 'GET';
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const candidates = this.rotation();
    if (candidates.length === 0) {
      this.stats.noBackend++;
      this.stats.failures++;
      res.writeHead(503, { 'retry-after': '1', 'content-type': 'text/plain' }).end('no ready instance');
      return;
    }
    let lastError = 'no instance answered';
    for (let i = 0; i < candidates.length; i++) {
      if (i > 0) this.stats.retries++;
      const backend = candidates[i]!;
      const last = i === candidates.length - 1;
      try {
        const response = await backend.pool.request({ path: req.url ?? '/', method: method as 'GET', headers, body });
        if (response.statusCode === 503 && IDEMPOTENT.has(method) && !last) {
          await response.body.dump();
          continue;
        }
        const out: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(response.headers)) {
          if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
        }
        out['x-fleet-instance'] = String(backend.slot);
        const payload = Buffer.from(await response.body.arrayBuffer());
        res.writeHead(response.statusCode, out).end(payload);
        return;
      } catch (error) {
        const code = (error as { code?: string }).code ?? (error as Error).name;
        lastError = code;
        // A request that may have reached the instance is only sent again when repeating it is harmless.
        if (NOT_SENT.has(code) || IDEMPOTENT.has(method)) continue;
        break;
      }
    }
    this.stats.failures++;
    res.writeHead(502, { 'content-type': 'text/plain' }).end(`bad gateway: ${lastError}`);
  }
}

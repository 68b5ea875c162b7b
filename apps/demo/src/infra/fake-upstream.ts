import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small HTTP service on a loopback port standing in for a partner API, so the demo's outbound
 * calls (through an HTTP pool) work with no configuration. UPSTREAM_URL replaces it.
 */
export type UpstreamMode = 'ok' | 'unavailable' | 'slow';
export const UPSTREAM_MODES: readonly UpstreamMode[] = ['ok', 'unavailable', 'slow'];

export class FakeUpstream {
  /** How `/quote` behaves; the demo switches it to show the breaker, retry and fallback at work. */
  mode: UpstreamMode = 'ok';

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeUpstream> {
    let served = 0;
    let upstream: FakeUpstream | undefined = undefined;
    const server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/health') {
        res.end('{"status":"ok"}');
        return;
      }
      if (req.url?.startsWith('/quote')) {
        served++;
        const answer = () => res.end(JSON.stringify({ currency: 'EUR', rate: 1 + (served % 7) / 100, served }));
        if (upstream?.mode === 'unavailable') {
          res.writeHead(503, { 'retry-after': '0' }).end('{"error":"unavailable"}');
        } else if (upstream?.mode === 'slow') {
          setTimeout(answer, 3_000).unref();
        } else {
          answer();
        }
        return;
      }
      res.statusCode = 404;
      res.end('{"error":"not found"}');
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    upstream = new FakeUpstream(server, `http://127.0.0.1:${port}`);
    return upstream;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

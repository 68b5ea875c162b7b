import { connect, createServer, type Server, type Socket } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { PrivateRedis } from '../support/private-redis.js';
import { DATABASE_URL } from '../support/services.js';
import { startDemo, type RunningProcess } from './demo-process.js';
import { startPrometheus, type PrometheusAlert, type RunningPrometheus } from './prometheus-process.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(250);
  }
}

/** A TCP proxy of the test's own in front of PostgreSQL, which can start refusing connections. */
class RefusingProxy {
  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly sockets: Set<Socket>,
  ) {}

  static async start(host: string, port: number): Promise<RefusingProxy> {
    const sockets = new Set<Socket>();
    const server = createServer((client) => {
      const upstream = connect(port, host);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new RefusingProxy(server, (server.address() as { port: number }).port, sockets);
  }

  /** Stops listening (new connections are refused) and cuts every open one. */
  async refuse(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

/**
 * The shipped rules on a real Prometheus, scraping the demo while the test breaks what it depends
 * on: its model cache (one model allowed, two used in turn), its Redis (a private redis-server,
 * killed) and its database (behind a proxy of the test's own, which starts refusing). Each alert
 * must go pending on the demo's real series; firing after the shipped `for:` (1–10 min) is
 * covered by `promtool test rules`.
 */
describe('Prometheus alerts on faults injected into the demo', () => {
  let demo: RunningProcess;
  let prometheus: RunningPrometheus;
  let redis: PrivateRedis;
  let proxy: RefusingProxy;

  const alert = async (name: string, labels: Record<string, string> = {}) =>
    (await prometheus.alerts()).find(
      (a: PrometheusAlert) =>
        a.labels.alertname === name && Object.entries(labels).every(([key, value]) => a.labels[key] === value),
    );

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    const database = new URL(DATABASE_URL);
    proxy = await RefusingProxy.start(database.hostname, Number(database.port || 5432));
    database.host = `127.0.0.1:${proxy.port}`;
    demo = await startDemo({
      DATABASE_URL: database.toString(),
      REDIS_URL: redis.url,
      BALLAST_PERFORMANCE_API: 'true',
      NEURAL_MAX_MODELS: '1', // two models used in turn evict each other: thrashing on purpose
    });
    prometheus = await startPrometheus(new URL(demo.url).host, 1);
    await until('demo target up', 20_000, async () =>
      (await prometheus.query('up{job="demo"} == 1')).length === 1 ? true : undefined,
    );
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await demo?.stop();
    await redis?.kill();
    await proxy?.refuse().catch(() => undefined);
  }, 30_000);

  it('is quiet before the faults', async () => {
    await sleep(3_000);
    expect((await prometheus.alerts()).map((a) => `${a.labels.alertname} ${a.state}`)).toEqual([]);
  }, 10_000);

  it('raises BallastModelCacheThrashing when two models take turns in a one-model cache', async () => {
    const { models } = (await (await fetch(`${demo.url}/models`)).json()) as {
      models: { name: string; inputSize: number }[];
    };
    expect(models.length).toBeGreaterThanOrEqual(2);
    const [a, b] = models as [(typeof models)[0], (typeof models)[0]];
    const predict = (m: typeof a) =>
      fetch(`${demo.url}/models/${m.name}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // Fresh input every call: the result cache would answer a repeated one without the model.
        body: JSON.stringify({ input: [Array.from({ length: m.inputSize }, () => Math.random())] }),
      }).then((r) => r.status);
    let running = true;
    const turns = (async () => {
      while (running) {
        expect(await predict(a)).toBe(201);
        expect(await predict(b)).toBe(201);
      }
    })();
    try {
      const found = await until('BallastModelCacheThrashing pending', 30_000, () =>
        alert('BallastModelCacheThrashing'),
      );
      expect(found.labels.severity).toBe('warning');
    } finally {
      running = false;
      await turns;
    }
  }, 40_000);

  it('raises BallastCacheL2Down for the caches once their Redis is gone', async () => {
    await redis.kill();
    const found = await until('BallastCacheL2Down pending', 30_000, () => alert('BallastCacheL2Down'));
    expect(found.labels).toMatchObject({ severity: 'warning', job: 'demo' });
    expect(found.labels.cache).toBeDefined();
  }, 40_000);

  it('raises BallastPoolCannotCreateConnections for the database pool once the database refuses', async () => {
    await proxy.refuse();
    let running = true;
    const load = (async () => {
      while (running) {
        await fetch(`${demo.url}/tickets`).then((r) => r.arrayBuffer());
        await sleep(200);
      }
    })();
    try {
      const found = await until('BallastPoolCannotCreateConnections pending', 40_000, () =>
        alert('BallastPoolCannotCreateConnections', { db_client_connection_pool_name: 'main' }),
      );
      expect(found.labels).toMatchObject({ severity: 'critical', ballast_pool_kind: 'database' });
    } finally {
      running = false;
      await load;
    }
  }, 50_000);
});

import { Client, Pool } from 'undici';

export type RequestKind = 'read' | 'write' | 'stats' | 'quote';

const PATHS: Record<Exclude<RequestKind, 'write'>, (ids: readonly number[], n: number) => string> = {
  read: (ids, n) => `/tickets/${ids[n % ids.length]}`,
  stats: () => '/ticket-stats',
  quote: () => '/upstream/resilient-quote',
};

/** One request as the client saw it. `status` 0 means no HTTP answer (`error` says why). */
export interface RequestRecord {
  readonly kind: RequestKind;
  readonly startMs: number;
  readonly latencyMs: number;
  readonly status: number;
  readonly error?: string;
}

export interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  readonly mix: Partial<Record<RequestKind, number>>;
  /** Ticket ids the reads pick from. */
  readonly readIds: readonly number[];
  /** Marks this run's writes so they can be found in PostgreSQL afterwards. */
  readonly runTag: string;
  /** After a 503 with Retry-After, wait that long before the next request (a polite client). */
  readonly honourRetryAfter?: boolean;
}

/**
 * A closed-loop load generator: `connections` workers, each on its own kept-alive connection,
 * send one request after another until stopped, and every request and every acknowledged
 * write (a 201 with the new row's id) is recorded.
 */
export class LoadGenerator {
  readonly records: RequestRecord[] = [];
  readonly acknowledgedWrites: number[] = [];
  readonly t0 = performance.now();
  private readonly pool: Pool;
  private running = true;
  private readonly workers: Promise<void>[] = [];
  private readonly kinds: RequestKind[];
  private counter = 0;

  constructor(private readonly options: LoadOptions) {
    this.pool = new Pool(options.url, {
      connections: options.connections,
      pipelining: 1,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
      connectTimeout: 10_000,
    });
    // A weighted round-robin of request kinds, e.g. { read: 6, write: 2, stats: 2 }.
    this.kinds = Object.entries(options.mix).flatMap(([kind, weight]) =>
      Array.from({ length: weight ?? 0 }, () => kind as RequestKind),
    );
    for (let i = 0; i < options.connections; i++) this.workers.push(this.worker(i));
  }

  /** Milliseconds since the generator started (the clock every record uses). */
  now(): number {
    return performance.now() - this.t0;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
    await this.pool.destroy();
  }

  private async worker(index: number): Promise<void> {
    let n = index;
    while (this.running) {
      const kind = this.kinds[n++ % this.kinds.length]!;
      await this.one(kind);
    }
  }

  private async one(kind: RequestKind): Promise<void> {
    const startMs = this.now();
    const number = this.counter++;
    try {
      const response =
        kind === 'write'
          ? await this.pool.request({
              path: '/tickets',
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ title: `${this.options.runTag}-${number}` }),
            })
          : await this.pool.request({ path: PATHS[kind](this.options.readIds, number), method: 'GET' });
      const text = await response.body.text();
      const latencyMs = this.now() - startMs;
      this.records.push({ kind, startMs, latencyMs, status: response.statusCode });
      if (kind === 'write' && response.statusCode === 201) {
        this.acknowledgedWrites.push((JSON.parse(text) as { id: number }).id);
      }
      const retryAfter = Number(response.headers['retry-after']);
      if (this.options.honourRetryAfter && response.statusCode === 503 && retryAfter > 0) {
        await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
      }
    } catch (error) {
      const code = (error as { code?: string }).code ?? (error as Error).name;
      this.records.push({ kind, startMs, latencyMs: this.now() - startMs, status: 0, error: code });
      // A refused or reset connection would otherwise spin this worker at full speed.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

export interface ReadinessSample {
  readonly atMs: number;
  readonly status: number;
  /** Terminus' `status` (ok / degraded / error / shutting_down) or the transport error. */
  readonly state: string;
  /** Contributors reported down, e.g. `redis:cache`. */
  readonly down: readonly string[];
}

/** Polls `/health/ready` on a connection of its own, as a Kubernetes readiness probe would. */
export class ReadinessProbe {
  readonly samples: ReadinessSample[] = [];
  private readonly client: Client;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    url: string,
    private readonly clock: () => number,
    intervalMs = 250,
  ) {
    this.client = new Client(url, { headersTimeout: 2_000, bodyTimeout: 2_000, connectTimeout: 2_000 });
    const tick = async () => {
      await this.sample();
      if (this.timer) this.timer = setTimeout(tick, intervalMs);
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.client.destroy();
  }

  private async sample(): Promise<void> {
    const atMs = this.clock();
    try {
      const response = await this.client.request({ path: '/health/ready', method: 'GET' });
      const body = (await response.body.json().catch(() => ({}))) as {
        status?: string;
        error?: Record<string, unknown>;
        details?: Record<string, { status?: string }>;
      };
      const down = Object.entries(body.details ?? {})
        .filter(([, detail]) => detail.status && detail.status !== 'up')
        .map(([key]) => key);
      this.samples.push({ atMs, status: response.statusCode, state: body.status ?? '?', down });
    } catch (error) {
      this.samples.push({ atMs, status: 0, state: (error as { code?: string }).code ?? 'error', down: [] });
    }
  }
}

/** Reads a few gauges from `/metrics` (memory for the soak). */
export async function scrapeGauges(url: string, names: readonly string[]): Promise<Record<string, number>> {
  const response = await fetch(`${url}/metrics`);
  const text = await response.text();
  const out: Record<string, number> = {};
  for (const name of names) {
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
    if (match) out[name] = Number(match[1]);
  }
  return out;
}

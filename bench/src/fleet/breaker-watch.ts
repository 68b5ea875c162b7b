import { Redis } from 'ioredis';

/** A breaker message as the instances publish it (libs/resilience SharedStateMessage, v1). */
export interface BreakerMessage {
  readonly instance: string;
  readonly breaker: string;
  readonly state: string;
  /** The sender's Date.now() when it published: same machine, same clock as ours. */
  readonly at: number;
}

/**
 * Listens on the fleet's breaker channel (to learn when and by whom a breaker was opened) and
 * resets a breaker fleet-wide the way an operator's reset would travel: a `reset` message and
 * the open key deleted.
 */
export class BreakerWatch {
  readonly messages: BreakerMessage[] = [];
  private readonly subscriber: Redis;
  private readonly publisher: Redis;

  private constructor(
    redisUrl: string,
    private readonly channel: string,
  ) {
    const options = { lazyConnect: true, maxRetriesPerRequest: 1, connectionName: 'fleet-bench-breakers' };
    this.subscriber = new Redis(redisUrl, options);
    this.publisher = new Redis(redisUrl, options);
    for (const client of [this.subscriber, this.publisher]) client.on('error', () => undefined);
    this.subscriber.on('message', (_channel: string, raw: string) => {
      try {
        this.messages.push(JSON.parse(raw) as BreakerMessage);
      } catch {
        // not ours to judge
      }
    });
  }

  static async start(redisUrl: string, channel: string): Promise<BreakerWatch> {
    const watch = new BreakerWatch(redisUrl, channel);
    await Promise.all([watch.subscriber.connect(), watch.publisher.connect()]);
    await watch.subscriber.subscribe(channel);
    return watch;
  }

  /** The first message with `state` for `breaker` at or after `sinceIndex`. */
  find(breaker: string, state: string, sinceIndex: number): BreakerMessage | undefined {
    return this.messages.slice(sinceIndex).find((m) => m.breaker === breaker && m.state === state);
  }

  async reset(breaker: string): Promise<void> {
    const message = { v: 1, instance: 'fleet-bench', breaker, state: 'reset', at: Date.now() };
    await this.publisher
      .multi()
      .publish(this.channel, JSON.stringify(message))
      .del(`${this.channel}:open:${breaker}`)
      .exec();
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
    await this.publisher.quit().catch(() => this.publisher.disconnect());
  }
}

/** One call of the demo's breaker-guarded endpoint, and whether the breaker refused it. */
export async function quote(url: string): Promise<{ status: number; shortCircuited: boolean; reason?: string }> {
  const response = await fetch(`${url}/upstream/resilient-quote`);
  const body = (await response.json().catch(() => ({}))) as { stale?: boolean; reason?: string };
  return { status: response.status, shortCircuited: body.reason === 'BreakerOpenError', reason: body.reason };
}

import 'reflect-metadata';

import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { SetMetadata } from '@nestjs/common';

import { BreakerOpenError, BulkheadRejectedError, TimeoutError } from '../errors/resilience.errors.js';
import { ResilienceRuntime } from '../resilience.runtime.js';
import { Bulkhead } from './bulkhead.decorator.js';
import { CallSignal } from './call-signal.decorator.js';
import { CircuitBreaker } from './circuit-breaker.decorator.js';
import { DeadLetter } from './dead-letter.decorator.js';
import { Fallback } from './fallback.decorator.js';
import { ResilienceHolder } from './resilience.holder.js';
import { Retry } from './retry.decorator.js';
import { Timeout } from './timeout.decorator.js';

const networkError = () => Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });

/** Applies decorators the way TypeScript does: the last written runs first. */
function decorate(proto: object, key: string, decorators: MethodDecorator[]): void {
  let descriptor = Object.getOwnPropertyDescriptor(proto, key)!;
  for (const decorator of [...decorators].reverse()) {
    descriptor = (decorator(proto, key, descriptor) as PropertyDescriptor | undefined) ?? descriptor;
  }
  Object.defineProperty(proto, key, descriptor);
}

describe('resilience decorators', () => {
  let runtime: ResilienceRuntime;

  beforeEach(() => {
    runtime = ResilienceRuntime.create({
      retry: { maxAttempts: 3, backoff: 'fixed', initialDelayMs: 10, jitter: 0 },
      breaker: { windowSize: 10, minimumCalls: 10, openDurationMs: 60_000 },
      bulkhead: { maxConcurrent: 1, maxQueue: 10, queueTimeoutMs: 0 },
    });
    ResilienceHolder.install(runtime);
  });

  afterEach(async () => {
    jest.useRealTimers();
    ResilienceHolder.uninstall(runtime);
    await runtime.close();
  });

  const order = ['Retry', 'CircuitBreaker', 'Timeout', 'Bulkhead', 'Fallback', 'DeadLetter'] as const;
  // Six decorators have 720 orders; every rotation and reversal is enough to show the written order does not matter.
  const orders = [...order.map((_, i) => [...order.slice(i), ...order.slice(0, i)]), [...order].reverse()];

  describe.each(orders.map((o) => [o.join(' > '), o] as const))('written as %s', (_label, written) => {
    function build(overrides: { timeoutMs?: number } = {}) {
      const calls: string[] = [];
      const fallbacks: unknown[][] = [];
      class Upstream {
        behaviour: (id: string, signal?: AbortSignal) => Promise<string> = async () => {
          throw networkError();
        };

        async fetch(id: string, signal?: AbortSignal): Promise<string> {
          calls.push(id);
          return this.behaviour(id, signal);
        }

        cached(error: unknown, id: string): string {
          fallbacks.push([error, id]);
          return `cached ${id}`;
        }
      }
      CallSignal()(Upstream.prototype, 'fetch', 1);
      const byName: Record<(typeof order)[number], MethodDecorator> = {
        Retry: Retry(),
        CircuitBreaker: CircuitBreaker('upstream'),
        Timeout: Timeout(overrides.timeoutMs ?? 1_000),
        Bulkhead: Bulkhead('upstream'),
        Fallback: Fallback('cached'),
        DeadLetter: DeadLetter('failed-fetches'),
      };
      decorate(
        Upstream.prototype,
        'fetch',
        written.map((name) => byName[name]),
      );
      return { upstream: new Upstream(), calls, fallbacks };
    }

    it('retries inside the fallback, each attempt through the breaker; one dead letter per call', async () => {
      const { upstream, calls, fallbacks } = build();
      await expect(upstream.fetch('a')).resolves.toBe('cached a');
      expect(calls).toEqual(['a', 'a', 'a']); // Retry (3 attempts) inside Fallback
      expect(runtime.breakers.find('upstream')!.stats.failures).toBe(3); // each attempt went through the breaker
      expect(fallbacks).toHaveLength(1);
      expect(fallbacks[0]![0]).toMatchObject({ code: 'ECONNRESET' }); // fallback receives the error, then the args
      expect(fallbacks[0]![1]).toBe('a');
      const letters = await runtime.deadLetters.queue('failed-fetches').list();
      expect(letters).toHaveLength(1); // after the retries, before the fallback
      expect(letters[0]).toMatchObject({ record: 'a', error: { code: 'ECONNRESET' } });
    });

    it('stops retrying once the breaker is open', async () => {
      const { upstream, calls } = build();
      runtime.breaker('upstream').forceOpen();
      await expect(upstream.fetch('b')).resolves.toBe('cached b');
      expect(calls).toEqual([]); // BreakerOpenError is not retried, the fallback answered
      const letters = await runtime.deadLetters.queue('failed-fetches').list();
      expect(letters[0]?.error.name).toBe('BreakerOpenError');
    });

    it('times out each attempt inside the breaker, with its own signal', async () => {
      const { upstream, calls } = build({ timeoutMs: 50 });
      const signals: AbortSignal[] = [];
      upstream.behaviour = (_id, signal) =>
        new Promise((_, reject) => {
          signals.push(signal!);
          signal!.addEventListener('abort', () => reject(signal!.reason));
        });
      await expect(upstream.fetch('slow')).resolves.toBe('cached slow');
      expect(calls).toEqual(['slow', 'slow', 'slow']);
      expect(runtime.breakers.find('upstream')!.stats.timeouts).toBe(3); // Timeout inside CircuitBreaker
      expect(signals).toHaveLength(3);
      expect(new Set(signals).size).toBe(3); // one signal per attempt
      expect(signals.every((s) => s.aborted && s.reason instanceof TimeoutError)).toBe(true);
    });

    it('counts the wait for a bulkhead slot in the deadline', async () => {
      const { upstream, calls } = build({ timeoutMs: 50 });
      let release!: () => void;
      const held = new Promise<string>((resolve) => (release = () => resolve('late')));
      // 'hog' ignores its signal and keeps the only bulkhead slot; 'queued' waits behind it.
      upstream.behaviour = (id) => (id === 'hog' ? held : Promise.resolve(`fresh ${id}`));
      const hog = upstream.fetch('hog');
      const queued = upstream.fetch('queued');
      // queueTimeoutMs is 0 (wait for ever): only a deadline that includes the wait can end these.
      await expect(queued).resolves.toBe('cached queued');
      await expect(hog).resolves.toBe('cached hog');
      expect(calls).toEqual(['hog']);
      expect(runtime.breakers.find('upstream')!.stats.timeouts).toBe(6);
      release();
    });
  });

  it('keeps metadata other decorators put on the method, whichever side of ours they are written', () => {
    class Jobs {
      @SetMetadata('job', 'nightly')
      @Retry()
      async below(): Promise<string> {
        return 'x';
      }

      @Retry()
      @SetMetadata('job', 'hourly')
      async above(): Promise<string> {
        return 'y';
      }
    }
    expect(Reflect.getMetadata('job', Jobs.prototype.below)).toBe('nightly');
    expect(Reflect.getMetadata('job', Jobs.prototype.above)).toBe('hourly');
    expect(Jobs.prototype.above.name).toBe('above');
  });

  it('works on a class Nest did not create, and on static methods', async () => {
    class Plain {
      static tries = 0;

      @Retry({ retryOn: [Error], initialDelayMs: 1 })
      static async flaky(): Promise<string> {
        if (++Plain.tries < 2) throw new Error('once');
        return 'second time';
      }
    }
    await expect(Plain.flaky()).resolves.toBe('second time');
    expect(runtime.retries.get('Plain.flaky')?.stats.successWithRetry).toBe(1);
  });

  it('uses a per-key breaker when a key function is given', async () => {
    class Tenants {
      @CircuitBreaker({ name: 'tenant-api', key: (tenant: string) => tenant, minimumCalls: 1, windowSize: 1 })
      async call(tenant: string, fail: boolean): Promise<string> {
        if (fail) throw new Error(`${tenant} down`);
        return tenant;
      }
    }
    const t = new Tenants();
    await expect(t.call('acme', true)).rejects.toThrow('acme down');
    await expect(t.call('acme', false)).rejects.toBeInstanceOf(BreakerOpenError);
    await expect(t.call('globex', false)).resolves.toBe('globex');
    expect(runtime.breakers.findKeyed('tenant-api')?.size).toBe(2);
  });

  it('rejects with the bulkhead error when its queue is full', async () => {
    class Limited {
      @Bulkhead({ maxConcurrent: 1, maxQueue: 0 })
      async work(gate: Promise<void>): Promise<string> {
        await gate;
        return 'done';
      }
    }
    const l = new Limited();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const first = l.work(gate);
    await expect(l.work(gate)).rejects.toBeInstanceOf(BulkheadRejectedError);
    open();
    await expect(first).resolves.toBe('done');
  });

  it('fails when the class is defined if options are wrong or a decorator is repeated', () => {
    expect(() => Retry({ maxAttempts: 0 })).toThrow(/@Retry\(\).*maxAttempts/s);
    expect(() => CircuitBreaker({ failureRateThreshold: 150 })).toThrow(/failureRateThreshold/);
    expect(() => Timeout(-1)).toThrow(/@Timeout/);
    expect(() => DeadLetter('bad queue name!')).toThrow(/@DeadLetter/);
    expect(() => {
      class Twice {
        @Retry()
        @Retry()
        async m(): Promise<void> {}
      }
      return Twice;
    }).toThrow(/applied twice to Twice\.m/);
  });

  it('runs on the standalone runtime when no module is installed', async () => {
    ResilienceHolder.uninstall(runtime);
    class Alone {
      @Timeout(1_000)
      async ping(): Promise<string> {
        return 'pong';
      }
    }
    await expect(new Alone().ping()).resolves.toBe('pong');
    expect(ResilienceHolder.standalone().timeouts.get('Alone.ping')?.stats.calls).toBe(1);
    await ResilienceHolder.closeStandalone();
  });
});

describe('timeout behind a breaker', () => {
  it('counts only the calls the breaker let run: a short-circuited call is neither in time nor timed out', async () => {
    const runtime = ResilienceRuntime.create({ breaker: { openDurationMs: 60_000 } });
    ResilienceHolder.install(runtime);
    try {
      class Quotes {
        async quote(): Promise<number> {
          return 42;
        }
      }
      decorate(Quotes.prototype, 'quote', [CircuitBreaker('quotes'), Timeout(1_000)]);
      const quotes = new Quotes();
      await expect(quotes.quote()).resolves.toBe(42);
      runtime.breaker('quotes').forceOpen();
      await expect(quotes.quote()).rejects.toThrow(/open/i);
      await expect(quotes.quote()).rejects.toThrow(/open/i);
      const stats = [...runtime.timeouts.values()][0]!.stats;
      expect({ calls: stats.calls, timeouts: stats.timeouts }).toEqual({ calls: 1, timeouts: 0 });
    } finally {
      ResilienceHolder.uninstall(runtime);
      await runtime.close();
    }
  });
});

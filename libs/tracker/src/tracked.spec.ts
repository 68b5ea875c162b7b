import { describe, expect, it } from '@jest/globals';

import { ResourceTracker } from './resource-tracker.js';
import { ResourceScope, tracked } from './tracked.js';

class FakeConnection {
  closed = false;
  constructor(
    readonly name: string,
    private readonly log: string[],
  ) {}
  async end(): Promise<void> {
    this.log.push(`close ${this.name}`);
    this.closed = true;
  }
}

describe('tracked() and ResourceScope', () => {
  it('closes and releases on leaving an `await using` block', async () => {
    const registry = new ResourceTracker({ defaultMaxLifetimeMs: 1_000 });
    const log: string[] = [];
    const connection = new FakeConnection('a', log);
    {
      await using handle = tracked(connection, { type: 'db-connection', owner: 'Svc', registry });
      expect(registry.list()).toEqual([expect.objectContaining({ id: handle.id, owner: 'Svc' })]);
    }
    expect(connection.closed).toBe(true);
    expect(registry.list()).toEqual([]);
    expect(registry.audit.query().map((e) => e.kind)).toEqual(['create', 'release']);
  });

  it('uses a given close function and closes once however often it is called', async () => {
    const registry = new ResourceTracker({ defaultMaxLifetimeMs: 1_000 });
    let closes = 0;
    const t = tracked({}, { type: 'lock', registry, close: () => closes++ });
    await Promise.all([t.close(), t.close()]);
    t[Symbol.dispose]();
    expect(closes).toBe(1);
  });

  it('releases a scope in reverse order and rolls back when a later acquisition fails', async () => {
    const registry = new ResourceTracker({ defaultMaxLifetimeMs: 1_000 });
    const log: string[] = [];
    {
      await using scope = new ResourceScope({ owner: 'Job', registry });
      await scope.acquire(() => new FakeConnection('db', log), { type: 'db-connection' });
      await scope.acquire(async () => new FakeConnection('file', log), { type: 'file' });
      expect(registry.list({ owner: 'Job' })).toHaveLength(2);
    }
    expect(log).toEqual(['close file', 'close db']);
    expect(registry.list()).toEqual([]);

    log.length = 0;
    const scope = new ResourceScope({ owner: 'Job', registry });
    await scope.acquire(() => new FakeConnection('first', log), { type: 'db-connection' });
    await scope.acquire(() => new FakeConnection('second', log), { type: 'db-connection' });
    await expect(
      scope.acquire(
        () => {
          throw new Error('connect ECONNREFUSED');
        },
        { type: 'db-connection' },
      ),
    ).rejects.toThrow('ECONNREFUSED');
    expect(log).toEqual(['close second', 'close first']);
    expect(registry.list()).toEqual([]);
    await expect(scope.acquire(() => ({}), { type: 'x', close: () => undefined })).rejects.toThrow(/closed/);
  });

  it('attempts every close of a scope and reports the failures together', async () => {
    const registry = new ResourceTracker({ defaultMaxLifetimeMs: 1_000 });
    const scope = new ResourceScope({ registry });
    const closed: string[] = [];
    await scope.acquire(() => ({}), { type: 'a', close: () => closed.push('a') });
    await scope.acquire(() => ({}), {
      type: 'b',
      close: () => {
        throw new Error('b failed');
      },
    });
    await scope.acquire(() => ({}), {
      type: 'c',
      close: () => Promise.reject(new Error('c failed')),
    });
    const error = await scope.close().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors.map((e: Error) => e.message)).toEqual(['c failed', 'b failed']);
    expect(closed).toEqual(['a']);
    expect(registry.list()).toEqual([]);
  });
});

import fs, { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';

import { ResourceTracker } from '../resource-tracker.js';
import { fileHandleSignal } from './file-handle.signal.js';

const openHandles = (tracker: ResourceTracker) => tracker.list({ type: 'file-handle' });
const fileHandlePrototype = async (file: string): Promise<object> => {
  const handle = await fs.promises.open(file, 'r');
  await handle.close();
  return Object.getPrototypeOf(handle) as object;
};

describe('file handle signal', () => {
  let dir: string;
  let file: string;
  const stops: (() => void)[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ballast-fh-signal-'));
    file = join(dir, 'data.txt');
    writeFileSync(file, 'x'.repeat(64 * 1024));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    while (stops.length) stops.pop()!();
  });

  const startTracker = (): ResourceTracker => {
    const tracker = new ResourceTracker({ defaultMaxLifetimeMs: 60_000, stackSampling: 'none' });
    stops.push(fileHandleSignal.start(tracker));
    return tracker;
  };

  it('records a FileHandle with its path and owner, and releases it as soon as close is called', async () => {
    const tracker = startTracker();
    const handle = await tracker.runAs('ImportService', () => fs.promises.open(file, 'r'));
    expect(openHandles(tracker)).toEqual([
      expect.objectContaining({ type: 'file-handle', owner: 'ImportService', details: { path: file } }),
    ]);
    const closing = handle.close();
    expect(openHandles(tracker)).toEqual([]);
    await closing;
    expect(tracker.audit.query({ type: 'file-handle' }).map((event) => event.kind)).toEqual(['create', 'release']);
  });

  it('releases on every close path: async dispose, a read stream that closes itself, a second close', async () => {
    const tracker = startTracker();
    const disposed = await fs.promises.open(file, 'r');
    await disposed[Symbol.asyncDispose]();
    const streamed = await fs.promises.open(file, 'r');
    const stream = streamed.createReadStream();
    stream.resume();
    await finished(stream);
    const twice = await fs.promises.open(file, 'r');
    await twice.close();
    await twice.close();
    expect(openHandles(tracker)).toEqual([]);
    expect(tracker.audit.query({ type: 'file-handle', kind: 'release' })).toHaveLength(3);
  });

  it('keeps an unclosed handle open, and a handle opened before the signal is never recorded', async () => {
    const before = await fs.promises.open(file, 'r');
    const tracker = startTracker();
    const kept = await fs.promises.open(file, 'r');
    await before.close();
    expect(openHandles(tracker)).toHaveLength(1);
    await kept.close();
    expect(openHandles(tracker)).toEqual([]);
  });

  it('gives two trackers their own records, and stopping restores the FileHandle class', async () => {
    const prototype = await fileHandlePrototype(file);
    const hadOwnEmit = Object.prototype.hasOwnProperty.call(prototype, 'emit');
    const first = startTracker();
    const second = startTracker();
    const handle = await fs.promises.open(file, 'r');
    expect([openHandles(first).length, openHandles(second).length]).toEqual([1, 1]);
    await handle.close();
    expect([openHandles(first).length, openHandles(second).length]).toEqual([0, 0]);

    stops.pop()!();
    stops.pop()!();
    expect(Object.prototype.hasOwnProperty.call(prototype, 'emit')).toBe(hadOwnEmit);
    const after = await fs.promises.open(file, 'r');
    await after.close();
    expect(first.audit.query({ type: 'file-handle' })).toHaveLength(2);
  });

  it('still releases a handle closed after the signal stopped, then restores the FileHandle class', async () => {
    const prototype = await fileHandlePrototype(file);
    const hadOwnEmit = Object.prototype.hasOwnProperty.call(prototype, 'emit');
    const tracker = startTracker();
    const leftover = await fs.promises.open(file, 'r');
    const closed = await fs.promises.open(file, 'r');
    await closed.close();
    stops.pop()!();
    expect(Object.prototype.hasOwnProperty.call(prototype, 'emit')).not.toBe(hadOwnEmit);
    expect(openHandles(tracker)).toHaveLength(1);
    await leftover.close();
    expect(openHandles(tracker)).toEqual([]);
    expect(Object.prototype.hasOwnProperty.call(prototype, 'emit')).toBe(hadOwnEmit);
  });
});

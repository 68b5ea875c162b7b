import { describe, expect, it } from '@jest/globals';

import { HistoryBuffer } from './history-buffer.js';

describe('HistoryBuffer', () => {
  it('keeps the last `capacity` samples, oldest first, and fixed memory', () => {
    const buffer = new HistoryBuffer(3, 8);
    for (let i = 1; i <= 5; i++) buffer.push(i * 1000, [['a', i]]);
    expect(buffer.size).toBe(3);
    expect(buffer.read()).toEqual({ t: [3000, 4000, 5000], series: { a: [3, 4, 5] } });
    expect(buffer.bytes).toBe(8 * 3 * 2);
  });

  it('marks a series missing where a sample had no (finite) value for it', () => {
    const buffer = new HistoryBuffer(4, 8);
    buffer.push(1, [['a', 1]]);
    buffer.push(2, [
      ['b', 2],
      ['a', NaN],
    ]);
    buffer.push(3, [
      ['a', 3],
      ['b', Infinity],
    ]);
    expect(buffer.read().series).toEqual({ a: [1, null, 3], b: [null, 2, null] });
  });

  it('returns only samples after `since`', () => {
    const buffer = new HistoryBuffer(5, 8);
    for (let i = 1; i <= 4; i++) buffer.push(i * 10, [['a', i]]);
    expect(buffer.read(20)).toEqual({ t: [30, 40], series: { a: [3, 4] } });
    expect(buffer.read(40)).toEqual({ t: [], series: {} });
  });

  it('refuses series past maxSeries and counts them, so memory stays bounded', () => {
    const buffer = new HistoryBuffer(2, 2);
    buffer.push(1, [
      ['a', 1],
      ['b', 2],
      ['c', 3],
      ['d', 4],
    ]);
    buffer.push(2, [['c', 5]]);
    expect(Object.keys(buffer.read().series)).toEqual(['a', 'b']);
    expect(buffer.droppedSeries).toBe(2);
    expect(buffer.bytes).toBe(8 * 2 * 3);
  });

  it('releases a series with no value left in the ring, making room for a new one', () => {
    const buffer = new HistoryBuffer(2, 2);
    buffer.push(1, [
      ['gone', 1],
      ['kept', 1],
    ]);
    buffer.push(2, [['kept', 2]]); // sweep after a full turn: `gone` still has its first value
    expect(buffer.seriesCount).toBe(2);
    buffer.push(3, [['kept', 3]]); // overwrites the only value of `gone`
    buffer.push(4, [
      ['kept', 4],
      ['new', 4],
    ]); // full: `gone` is released, `new` takes its place
    expect(buffer.seriesCount).toBe(2);
    expect(buffer.droppedSeries).toBe(0);
    buffer.push(5, [
      ['kept', 5],
      ['new', 5],
    ]);
    expect(buffer.read().series).toEqual({ kept: [4, 5], new: [4, 5] });
  });

  it('rejects a capacity or series bound below 1', () => {
    expect(() => new HistoryBuffer(0, 4)).toThrow(/capacity/);
    expect(() => new HistoryBuffer(4, 0)).toThrow(/maxSeries/);
  });
});

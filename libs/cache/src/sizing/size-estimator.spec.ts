import { describe, expect, it } from '@jest/globals';

import { estimateSize, keySize } from './size-estimator.js';

describe('estimateSize', () => {
  it('costs strings by length and width, short ones as mostly shared', () => {
    expect(estimateSize('x'.repeat(100))).toBe(16 + 104);
    expect(estimateSize('é'.repeat(100))).toBe(16 + 104); // Latin-1 is still one byte per character
    expect(estimateSize('€'.repeat(100))).toBe(16 + 200);
    expect(estimateSize('open')).toBe(24 * 0.25);
    expect(keySize('open')).toBe(24);
  });

  it('costs numbers: small integers inline, doubles boxed', () => {
    expect(estimateSize(42)).toBe(0);
    expect(estimateSize(4.2)).toBe(16);
    expect(estimateSize([1.5, 2.5, 3.5])).toBe(48 + 3 * 8); // unboxed double array
  });

  it('costs objects by their slots and values, not their (shared) property names', () => {
    expect(estimateSize({})).toBe(56);
    expect(estimateSize({ a: 1, b: 2 })).toBe(24 + 16);
    expect(estimateSize({ a: 'x'.repeat(40) })).toBe(24 + 8 + 56);
    expect(estimateSize({ nested: { deep: 1.5 } })).toBe(24 + 8 + (24 + 8 + 16));
  });

  it('costs integer-like keys as an elements store, and only the own properties of class instances', () => {
    expect(estimateSize({ 0: 1, 1: 2, name: 3 })).toBe(24 + 8 + 16 + 19 * 8); // elements: max(17, 1.5 per key + 16) words
    expect(estimateSize({ 7: 1 })).toBe(56 + 16 + 17.5 * 8);
    class Point {
      x = 1.5;
      y = 2;
      get length(): number {
        return Math.hypot(this.x, this.y);
      }
    }
    const base = { inherited: 'x'.repeat(100) };
    const child = Object.assign(Object.create(base) as Record<string, unknown>, { own: 1 });
    expect(estimateSize(new Point())).toBe(24 + 16 + 16);
    expect(estimateSize(child)).toBe(24 + 8);
  });

  it('extrapolates long collections from a sample, so the cost of an estimate stays bounded', () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => ({ id: i, name: `row number ${i} of many` }));
    const estimate = estimateSize(rows);
    const exact =
      48 + 200_000 * 8 + rows.reduce((sum, row) => sum + 24 + 16 + 16 + 8 * Math.ceil(row.name.length / 8), 0);
    expect(Math.abs(estimate / exact - 1)).toBeLessThan(0.05);
  });

  it('terminates on cycles and very deep values', () => {
    const a: Record<string, unknown> = { name: 'a' };
    const b: Record<string, unknown> = { name: 'b', a };
    a.b = b;
    a.self = a;
    expect(estimateSize(a)).toBeGreaterThan(0);
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 10_000; i++) deep = { child: deep };
    expect(estimateSize(deep)).toBeLessThan(10_000 * 32);
  });

  it('counts Maps, Sets, Dates, Buffers and typed arrays', () => {
    expect(estimateSize(new Date())).toBe(96);
    expect(estimateSize(Buffer.alloc(1_000))).toBe(184 + 1_000);
    expect(estimateSize(new Float64Array(100))).toBe(184 + 800);
    expect(estimateSize(new Map([['k', 1]]))).toBeGreaterThan(96);
    expect(estimateSize(new Set([1, 2, 3]))).toBeGreaterThan(96);
  });
});

import { describe, expect, it } from '@jest/globals';

import { CoarseClock } from './cache-clock.js';

describe('CoarseClock', () => {
  it('serves a cached time within a burst and moves on once the event loop turns', async () => {
    const clock = new CoarseClock(1);
    const first = clock.now();
    expect(Math.abs(first - Date.now())).toBeLessThanOrEqual(1);
    expect(clock.now()).toBe(first);
    await new Promise((resolve) => setTimeout(resolve, 15));
    expect(clock.now()).toBeGreaterThanOrEqual(first + 10);
  });
});

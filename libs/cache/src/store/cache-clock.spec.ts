import { describe, expect, it } from '@jest/globals';

import { CoarseClock } from './cache-clock.js';

describe('CoarseClock', () => {
  it('serves a cached time within a burst and moves on once the event loop turns', async () => {
    const clock = new CoarseClock(1);
    // Bracketed by the real clock, so a pause of a loaded machine between the reads cannot fail it.
    const before = Date.now();
    const first = clock.now();
    const after = Date.now();
    expect(first).toBeGreaterThanOrEqual(before);
    expect(first).toBeLessThanOrEqual(after);
    expect(clock.now()).toBe(first);
    await new Promise((resolve) => setTimeout(resolve, 15));
    expect(clock.now()).toBeGreaterThanOrEqual(first + 10);
  });
});

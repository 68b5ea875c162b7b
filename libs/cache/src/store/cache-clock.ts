/** Where a cache reads the time, in milliseconds since the epoch. Tests pass a manual one. */
export interface CacheClock {
  now(): number;
}

/**
 * `Date.now()` costs about 70 ns on these machines, more than a whole cache hit, so the hit path
 * reads a cached time instead, forgotten `resolutionMs` after it was read (one short unref'd timer,
 * never more than one pending, none at all while idle). Entries therefore expire up to ~1 ms late,
 * and code that blocks the event loop sees the time at which it started until it yields (as with
 * lru-cache's `ttlResolution`).
 */
export class CoarseClock implements CacheClock {
  private cached = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly forget = (): void => {
    this.cached = 0;
    this.timer = undefined;
  };

  constructor(private readonly resolutionMs = 1) {}

  now(): number {
    if (this.cached !== 0) return this.cached;
    return this.refresh();
  }

  private refresh(): number {
    this.cached = Date.now();
    if (this.timer === undefined) {
      this.timer = setTimeout(this.forget, this.resolutionMs);
      this.timer.unref();
    }
    return this.cached;
  }
}

/** One clock for every cache in the process: at most one pending timer whatever the number of caches. */
export const sharedClock: CacheClock = new CoarseClock();

import type { MemoryPressureLevel } from '@ballast/core';

/** One reading of the process, as `process.memoryUsage()` gives it, plus what the governor makes of it. */
export interface MemorySample {
  readonly at: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  /** What counts against the budget: RSS or heap used (per the budget's `measure`) plus reservations. */
  readonly usedBytes: number;
  readonly reservedBytes: number;
  /** usedBytes / limit. */
  readonly ratio: number;
  readonly level: MemoryPressureLevel;
  /** Why it was taken: the interval, a major GC, or a reservation asking. */
  readonly trigger: 'interval' | 'gc' | 'reserve' | 'manual';
}

/** Emitted when the level changes. */
export interface MemoryLevelChange {
  readonly from: MemoryPressureLevel;
  readonly to: MemoryPressureLevel;
  readonly sample: MemorySample;
}

/** What one shrink round asked and got, per consumer. */
export interface ShrinkRound {
  readonly at: number;
  readonly neededBytes: number;
  readonly freedBytes: number;
  readonly asked: ReadonlyArray<{
    readonly consumer: string;
    readonly askedBytes: number;
    readonly freedBytes: number;
  }>;
}

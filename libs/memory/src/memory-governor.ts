import {
  MemoryReservationRefusedError,
  type MemoryConsumer,
  type MemoryGovernorRef,
  type MemoryPressureLevel,
  type MemoryReservation,
} from '@ballast/core';

import type { MemoryBudget } from './memory-budget.js';
import type { MemoryLevelChange, MemorySample, ShrinkRound } from './memory-sample.js';
import { nextPressureLevel, type PressureThresholds } from './pressure-level.js';

export interface MemoryGovernorSettings {
  readonly budget: MemoryBudget;
  readonly thresholds: PressureThresholds;
  readonly retryAfterMs: number;
  /** Reads the process (tests hand in their own); `process.memoryUsage` by default. */
  readonly read?: () => NodeJS.MemoryUsage;
  readonly now?: () => number;
}

export interface MemoryGovernorHooks {
  onSample?(sample: MemorySample, costMs: number): void;
  onShrunk?(consumer: string, freedBytes: number): void;
  onRefused?(): void;
}

/** A shrink round waits for a major GC to show what it freed, or this many samples at most. */
const SAMPLES_BEFORE_SHRINKING_AGAIN = 3;

/**
 * The process budget and everything measured against it: samples, the pressure level, the
 * consumers asked to shrink (lowest priority first) and capped while pressure lasts, and the
 * reservations. Nest-free, so the benchmark and tests drive it directly; `MemoryGovernorService`
 * runs it inside an app.
 */
export class MemoryGovernor implements MemoryGovernorRef {
  private readonly consumers = new Map<string, MemoryConsumer>();
  private readonly listeners = new Set<(change: MemoryLevelChange) => void>();
  private readonly read: () => NodeJS.MemoryUsage;
  private readonly now: () => number;
  private current: MemoryPressureLevel = 'normal';
  private reserved = 0;
  private capped = false;
  private shrinking?: Promise<ShrinkRound>;
  private samplesSinceShrink = Number.POSITIVE_INFINITY;
  private last?: MemorySample;
  private lastRound?: ShrinkRound;
  private readonly counts = { samples: 0, levelChanges: 0, criticalEntered: 0, refused: 0, shrinkRounds: 0 };
  private costMs = 0;

  constructor(
    private readonly settings: MemoryGovernorSettings,
    private readonly hooks: MemoryGovernorHooks = {},
  ) {
    this.read = settings.read ?? (() => process.memoryUsage());
    this.now = settings.now ?? Date.now;
  }

  get budget(): MemoryBudget {
    return this.settings.budget;
  }

  get level(): MemoryPressureLevel {
    return this.current;
  }

  get lastSample(): MemorySample | undefined {
    return this.last;
  }

  get lastShrinkRound(): ShrinkRound | undefined {
    return this.lastRound;
  }

  get totals(): Readonly<typeof this.counts> & { readonly samplingMs: number } {
    return { ...this.counts, samplingMs: this.costMs };
  }

  get reservedBytes(): number {
    return this.reserved;
  }

  /** Bytes above which pressure is elevated / critical. */
  get elevatedBytes(): number {
    return this.settings.budget.limitBytes * this.settings.thresholds.elevated;
  }

  get criticalBytes(): number {
    return this.settings.budget.limitBytes * this.settings.thresholds.critical;
  }

  consumerList(): Array<{ name: string; priority: number; bytes: number }> {
    return [...this.consumers.values()].map((c) => ({ name: c.name, priority: c.priority, bytes: c.currentBytes() }));
  }

  register(consumer: MemoryConsumer): () => void {
    if (this.consumers.has(consumer.name)) {
      throw new Error(`A memory consumer named "${consumer.name}" is already registered`);
    }
    this.consumers.set(consumer.name, consumer);
    // A consumer that arrives during pressure is held where it is, like the others.
    if (this.capped) consumer.setGrowthCap(consumer.currentBytes());
    return () => {
      if (this.consumers.get(consumer.name) !== consumer) return;
      this.consumers.delete(consumer.name);
      if (this.capped) consumer.setGrowthCap(undefined);
    };
  }

  /** Listens to level changes; answers the function that stops listening. */
  onLevelChange(listener: (change: MemoryLevelChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  reserve(bytes: number, owner: string): MemoryReservation {
    if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`reserve(bytes) needs bytes >= 0, got ${bytes}`);
    // A fresh reading: a reservation is the moment a big allocation is about to happen.
    const sample = this.sample('reserve');
    const used = sample.usedBytes - sample.reservedBytes;
    if (used + this.reserved + bytes > this.criticalBytes) {
      this.counts.refused += 1;
      this.hooks.onRefused?.();
      throw new MemoryReservationRefusedError({
        owner,
        requestedBytes: bytes,
        usedBytes: used,
        reservedBytes: this.reserved,
        criticalBytes: Math.round(this.criticalBytes),
        limitBytes: this.settings.budget.limitBytes,
        retryAfterMs: this.settings.retryAfterMs,
      });
    }
    this.reserved += bytes;
    let held = true;
    const release = (): void => {
      if (!held) return;
      held = false;
      this.reserved -= bytes;
    };
    return { bytes, owner, release, [Symbol.dispose]: release };
  }

  /** Reads the process, updates the level and, under pressure, asks consumers to shrink. */
  sample(trigger: MemorySample['trigger'] = 'manual'): MemorySample {
    const started = performance.now();
    const usage = this.read();
    const { budget, thresholds } = this.settings;
    const usedBytes = (budget.measure === 'rss' ? usage.rss : usage.heapUsed) + this.reserved;
    const ratio = usedBytes / budget.limitBytes;
    const from = this.current;
    this.current = nextPressureLevel(from, ratio, thresholds);
    const sample: MemorySample = {
      at: this.now(),
      rss: usage.rss,
      heapUsed: usage.heapUsed,
      external: usage.external,
      arrayBuffers: usage.arrayBuffers,
      usedBytes,
      reservedBytes: this.reserved,
      ratio,
      level: this.current,
      trigger,
    };
    this.last = sample;
    this.counts.samples += 1;
    if (trigger === 'gc') this.samplesSinceShrink = Number.POSITIVE_INFINITY;
    else this.samplesSinceShrink += 1;

    if (from !== this.current) {
      this.counts.levelChanges += 1;
      if (this.current === 'critical') this.counts.criticalEntered += 1;
      for (const listener of this.listeners) listener({ from, to: this.current, sample });
    }
    if (this.current === 'normal') {
      if (this.capped) this.releaseCaps();
    } else if (this.shrinking === undefined && this.samplesSinceShrink >= SAMPLES_BEFORE_SHRINKING_AGAIN) {
      // Target: far enough under elevated to leave that level, not just touch it.
      const target = budget.limitBytes * (thresholds.elevated - thresholds.hysteresis);
      void this.shrinkBy(usedBytes - target);
    }
    const costMs = performance.now() - started;
    this.costMs += costMs;
    this.hooks.onSample?.(sample, costMs);
    return sample;
  }

  /**
   * Asks consumers, lowest priority first, for `bytes` in total, then caps each at what it holds.
   * Waits for asynchronous shrinks one at a time: the next consumer is asked only for what is left.
   * While a round runs, a second call answers that round rather than asking twice.
   */
  shrinkBy(bytes: number): Promise<ShrinkRound> {
    this.shrinking ??= this.runShrinkRound(bytes).finally(() => {
      this.shrinking = undefined;
    });
    return this.shrinking;
  }

  private async runShrinkRound(bytes: number): Promise<ShrinkRound> {
    this.samplesSinceShrink = 0;
    this.counts.shrinkRounds += 1;
    const asked: Array<{ consumer: string; askedBytes: number; freedBytes: number }> = [];
    let left = bytes;
    const order = [...this.consumers.values()].sort((a, b) => a.priority - b.priority);
    for (const consumer of order) {
      if (left <= 0) break;
      const holds = consumer.currentBytes();
      if (holds <= 0) continue;
      const ask = Math.min(left, holds);
      // A consumer that fails to shrink counts as having freed nothing; the next one is asked.
      const freed = await Promise.resolve()
        .then(() => consumer.shrink(ask))
        .then(
          (n) => Math.max(0, Number(n) || 0),
          () => 0,
        );
      asked.push({ consumer: consumer.name, askedBytes: ask, freedBytes: freed });
      this.hooks.onShrunk?.(consumer.name, freed);
      left -= freed;
    }
    // Growth cap: what each holds now, until pressure ends (unless it ended while we shrank).
    if (this.current !== 'normal') {
      for (const consumer of this.consumers.values()) consumer.setGrowthCap(consumer.currentBytes());
      this.capped = true;
    }
    const round = { at: this.now(), neededBytes: bytes, freedBytes: bytes - left, asked };
    this.lastRound = round;
    return round;
  }

  private releaseCaps(): void {
    this.capped = false;
    for (const consumer of this.consumers.values()) consumer.setGrowthCap(undefined);
  }

  /** Lifts every cap (on shutdown: consumers outlive nothing of ours). */
  close(): void {
    if (this.capped) this.releaseCaps();
    this.listeners.clear();
  }
}

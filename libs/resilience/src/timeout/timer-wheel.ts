/** Something with a deadline: `expire()` runs once when it passes, unless it was cancelled before. */
export interface WheelEntry {
  expire(): void;
}

/** One deadline slot: a single timer for every entry whose deadline rounds up to `at`. */
export interface WheelSlot {
  readonly at: number;
  timer: NodeJS.Timeout | undefined;
  /** Entries by index; a cancelled one leaves a hole so the call object can be collected at once. */
  readonly entries: (WheelEntry | undefined)[];
  /** Indexes in use; back to 0 when every entry settled, so the array is reused rather than grown. */
  used: number;
  live: number;
}

/** Deadlines are rounded up to the resolution, or to 1% of the delay when that is coarser. */
const RELATIVE_PRECISION = 100;

/**
 * Deadlines without a timer per call. A deadline is rounded up to a slot (the resolution, or 1% of
 * the delay for long ones) and every entry of a slot shares one timer, so a thousand calls
 * started within the same slot cost one timer. Cancelling is O(1) and does not clear the timer:
 * the next call in the same slot reuses it, and a slot whose entries all settled just lapses when
 * its timer fires. At most delay / slot-width timers exist per delay; none once the deadlines have
 * passed. A deadline fires late by at most one slot, never early. A slot's timer keeps the process
 * alive while it has pending entries, as a pending `setTimeout` would, and not after they settled.
 */
export class TimerWheel {
  private readonly slots = new Map<number, WheelSlot>();
  private last: WheelSlot | undefined;

  constructor(
    readonly resolutionMs = 10,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(resolutionMs > 0)) throw new RangeError(`resolutionMs must be > 0, got ${resolutionMs}`);
  }

  /** Entries waiting for their deadline. */
  get pending(): number {
    let live = 0;
    for (const slot of this.slots.values()) live += slot.live;
    return live;
  }

  /** Timers currently armed (one per slot). */
  get timers(): number {
    return this.slots.size;
  }

  /**
   * Schedules `entry` to expire after `delayMs`. Keep the slot and `slot.used - 1` (the entry's
   * index) to cancel it.
   */
  schedule(entry: WheelEntry, delayMs: number, now = this.now()): WheelSlot {
    const width = Math.max(this.resolutionMs, Math.floor(delayMs / RELATIVE_PRECISION));
    const at = Math.ceil((now + delayMs) / width) * width;
    let slot = this.last;
    if (slot === undefined || slot.at !== at || slot.timer === undefined) {
      slot = this.slots.get(at) ?? this.open(at, now);
      this.last = slot;
    }
    slot.entries[slot.used++] = entry;
    // A pending deadline keeps the process alive (a script awaiting a call gets its outcome); an
    // idle slot's timer does not.
    if (slot.live++ === 0) slot.timer!.ref();
    return slot;
  }

  /** The entry at `index` settled before its deadline. */
  cancel(slot: WheelSlot, index: number): void {
    if (slot.entries[index] === undefined) return;
    slot.entries[index] = undefined;
    // Every entry has settled and left a hole: start over at index 0 (no truncation, it is slow).
    if (--slot.live === 0) {
      slot.used = 0;
      slot.timer?.unref();
    }
  }

  /** Expires everything still pending now and clears every timer: used on shutdown, so nothing hangs. */
  close(): void {
    const slots = [...this.slots.values()];
    this.slots.clear();
    this.last = undefined;
    for (const slot of slots) {
      clearTimeout(slot.timer);
      slot.timer = undefined;
      this.fire(slot);
    }
  }

  private open(at: number, now: number): WheelSlot {
    const slot: WheelSlot = { at, timer: undefined, entries: [], used: 0, live: 0 };
    const timer = setTimeout(
      () => {
        if (this.slots.get(at) === slot) this.slots.delete(at);
        if (this.last === slot) this.last = undefined;
        slot.timer = undefined;
        this.fire(slot);
      },
      Math.max(0, at - now),
    );
    // Ref'd while the slot has live entries: schedule() and cancel() keep that true.
    slot.timer = timer;
    this.slots.set(at, slot);
    return slot;
  }

  private fire(slot: WheelSlot): void {
    const { entries, used } = slot;
    slot.live = 0;
    slot.used = 0;
    for (let i = 0; i < used; i++) {
      const entry = entries[i];
      if (entry === undefined) continue;
      entries[i] = undefined;
      try {
        entry.expire();
      } catch {
        // An entry's expiry must not stop the others from expiring.
      }
    }
  }
}

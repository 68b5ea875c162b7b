/** The history as the API returns it: one time axis and a column per series, oldest first. */
export interface HistoryColumns {
  /** Sample times, epoch milliseconds. */
  readonly t: number[];
  /** One value per sample time; null where the series had no value then. */
  readonly series: Record<string, (number | null)[]>;
}

/**
 * A fixed-size ring of samples stored by column: one `Float64Array` of `capacity` slots for the
 * times and one per series, NaN where a series had no value. Memory is allocated up front and never
 * grows past `8 × capacity × (maxSeries + 1)` bytes: a series beyond `maxSeries` is counted in
 * `droppedSeries`, not stored, and a series with no value left in the whole ring is released.
 */
export class HistoryBuffer {
  private readonly times: Float64Array;
  private readonly columns = new Map<string, Float64Array>();
  private head = 0;
  private count = 0;
  private pushesSinceSweep = 0;
  private dropped = new Set<string>();

  constructor(
    readonly capacity: number,
    readonly maxSeries: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be an integer >= 1, got ${capacity}`);
    if (!Number.isInteger(maxSeries) || maxSeries < 1)
      throw new RangeError(`maxSeries must be an integer >= 1, got ${maxSeries}`);
    this.times = new Float64Array(capacity);
  }

  /** Samples held (at most `capacity`). */
  get size(): number {
    return this.count;
  }

  /** Series held now. */
  get seriesCount(): number {
    return this.columns.size;
  }

  /** Distinct series refused because `maxSeries` were held (capped at `maxSeries` names remembered). */
  get droppedSeries(): number {
    return this.dropped.size;
  }

  /** Bytes of the typed arrays held now: 8 per slot, `capacity` slots for the times and each series. */
  get bytes(): number {
    return 8 * this.capacity * (this.columns.size + 1);
  }

  /** Adds a sample at time `t`; a non-finite value counts as missing. Overwrites the oldest when full. */
  push(t: number, values: Iterable<readonly [string, number]>): void {
    const slot = this.head;
    this.times[slot] = t;
    for (const column of this.columns.values()) column[slot] = NaN;
    let swept = false;
    for (const [key, value] of values) {
      if (!Number.isFinite(value)) continue;
      let column = this.columns.get(key);
      if (column === undefined) {
        // Full: first release the series that have no value left (at most once per sample).
        if (this.columns.size >= this.maxSeries && !swept) {
          swept = true;
          this.releaseEmptySeries();
        }
        if (this.columns.size >= this.maxSeries) {
          if (this.dropped.size < this.maxSeries) this.dropped.add(key);
          continue;
        }
        column = new Float64Array(this.capacity).fill(NaN);
        this.columns.set(key, column);
      }
      column[slot] = value;
    }
    this.head = (slot + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
    // Once per turn of the ring, release the series that have no value left (a closed pool, a
    // tracker type that went away), so names that come and go cannot pin memory for ever.
    if (++this.pushesSinceSweep >= this.capacity) this.releaseEmptySeries();
  }

  private releaseEmptySeries(): void {
    this.pushesSinceSweep = 0;
    for (const [key, column] of this.columns) if (!column.some(Number.isFinite)) this.columns.delete(key);
  }

  /** Samples taken after `sinceMs` (all when undefined), oldest first. */
  read(sinceMs?: number): HistoryColumns {
    const slots: number[] = [];
    const oldest = (this.head - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) {
      const slot = (oldest + i) % this.capacity;
      if (sinceMs === undefined || this.times[slot]! > sinceMs) slots.push(slot);
    }
    const series: Record<string, (number | null)[]> = {};
    for (const [key, column] of this.columns) {
      const values = slots.map((slot) => (Number.isFinite(column[slot]!) ? column[slot]! : null));
      if (values.some((v) => v !== null)) series[key] = values;
    }
    return { t: slots.map((slot) => this.times[slot]!), series };
  }
}

import { Injectable } from '@nestjs/common';

/** How many requests one dependency takes at once without refusing any. */
export interface ServingCapacity {
  /** e.g. `database:main`. */
  readonly name: string;
  /** For a pool: its connections plus the callers its wait queue holds (`maxSize + maxWaiters`). */
  readonly concurrent: number;
}

/**
 * Where modules declare how much concurrent work their pools accept, so admission control never
 * sheds below it: a request the pool would have queued and served must not be refused before it
 * gets there. The pool module registers each database pool here; an app may add its own.
 */
@Injectable()
export class ServingCapacityRegistry {
  private readonly entries = new Map<string, ServingCapacity>();

  /** Returns the function that removes it again (call it when the pool closes). */
  register(capacity: ServingCapacity): () => void {
    if (!Number.isFinite(capacity.concurrent) || capacity.concurrent < 0) {
      throw new Error(`Serving capacity "${capacity.name}" must be a finite number >= 0, got ${capacity.concurrent}`);
    }
    this.entries.set(capacity.name, capacity);
    return () => {
      if (this.entries.get(capacity.name) === capacity) this.entries.delete(capacity.name);
    };
  }

  list(): ServingCapacity[] {
    return [...this.entries.values()];
  }

  /** Requests all registered dependencies take at once together. */
  total(): number {
    let sum = 0;
    for (const { concurrent } of this.entries.values()) sum += concurrent;
    return sum;
  }
}

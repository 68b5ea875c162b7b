import { EventEmitter } from 'node:events';

import CircuitBreaker from 'opossum';

import type { RotationClock } from './rotation-clock.js';

type Bucket = CircuitBreaker.Bucket & Record<string, number | object>;

interface StatusInternals {
  rotateBucket: () => void;
  startListeneningForRotateEvent(): void;
  readonly window: Bucket[];
}

type StatusConstructor = new (options: CircuitBreaker.StatusOptions) => CircuitBreaker.Status & StatusInternals;

// opossum exports Status only through instances; one throwaway instance (no timers: it gets a
// private rotation emitter and no snapshots) gives us the class to extend.
const StatusBase: StatusConstructor = (() => {
  const probe = CircuitBreaker.newStatus({
    rotateBucketController: new EventEmitter(),
    enableSnapshots: false,
    rollingPercentilesEnabled: false,
  });
  const type = Object.getPrototypeOf(probe).constructor as StatusConstructor;
  (probe as unknown as { shutdown(): void }).shutdown();
  return type;
})();

/**
 * opossum's Status, kept as its statistics but made cheap: no latency pushed per call (latencies go
 * to our histogram), and `stats` summed field by field over the buckets instead of `Object.keys`
 * per bucket. opossum reads `stats` on every failure, so this keeps the failure path flat and short.
 */
class LeanStatus extends StatusBase {
  /** The buckets, newest first; refreshed on each rotation (once per bucket period, not per call). */
  private buckets: Bucket[];
  private head: Bucket;

  constructor(options: CircuitBreaker.StatusOptions & { rotateBucketController: EventEmitter }) {
    super(options);
    // Swap the rotation listener for one that also tracks the buckets. The new one is added before
    // the old one goes, so the shared clock never sees zero listeners and restarts its timer.
    const rotate = this.rotateBucket;
    this.rotateBucket = () => {
      rotate();
      this.buckets = this.window;
      this.head = this.buckets[0]!;
    };
    this.startListeneningForRotateEvent();
    options.rotateBucketController.removeListener('rotate', rotate);
    this.buckets = this.window;
    this.head = this.buckets[0]!;
  }

  increment(property: string): void {
    // Named increments for the three per-call counters: a computed key here is a megamorphic store.
    const head = this.head;
    switch (property) {
      case 'fires':
        head.fires++;
        break;
      case 'successes':
        head.successes++;
        break;
      case 'failures':
        head.failures++;
        break;
      default:
        (head as Record<string, number>)[property]!++;
    }
  }

  override get stats(): CircuitBreaker.Stats {
    let failures = 0;
    let fallbacks = 0;
    let successes = 0;
    let rejects = 0;
    let fires = 0;
    let timeouts = 0;
    let cacheHits = 0;
    let cacheMisses = 0;
    let coalesceCacheHits = 0;
    let coalesceCacheMisses = 0;
    let semaphoreRejections = 0;
    for (const bucket of this.buckets) {
      const b = bucket as Bucket & { coalesceCacheHits: number; coalesceCacheMisses: number };
      failures += b.failures;
      fallbacks += b.fallbacks;
      successes += b.successes;
      rejects += b.rejects;
      fires += b.fires;
      timeouts += b.timeouts;
      cacheHits += b.cacheHits;
      cacheMisses += b.cacheMisses;
      coalesceCacheHits += b.coalesceCacheHits;
      coalesceCacheMisses += b.coalesceCacheMisses;
      semaphoreRejections += b.semaphoreRejections;
    }
    return {
      failures,
      fallbacks,
      successes,
      rejects,
      fires,
      timeouts,
      cacheHits,
      cacheMisses,
      coalesceCacheHits,
      coalesceCacheMisses,
      semaphoreRejections,
      percentiles: {},
      latencyTimes: [],
      latencyMean: -1,
    } as CircuitBreaker.Stats;
  }
}

/** Calls the protected function through our per-call object; shared by every engine. */
function engineAction(this: unknown, fn: unknown, call: { start(fn: unknown): Promise<unknown> }): Promise<unknown> {
  return call.start(fn);
}

/** opossum passes the action's arguments to `errorFilter`: our call object says whether the classifier ignored the error. */
function engineErrorFilter(_error: unknown, _fn: unknown, call: { readonly ignored: boolean }): boolean {
  return call.ignored;
}

export interface EngineSettings {
  readonly name: string;
  readonly openDurationMs: number;
  readonly rotation: RotationClock;
  readonly buckets: number;
}

/**
 * An opossum breaker set up as an execution engine: our code decides every transition, so the
 * engine never opens on its own (volume threshold out of reach), runs no timeout of its own (the
 * shared wheel does), keeps no percentiles and takes no snapshots, and rotates its buckets on the
 * shared clock. Its reset timer, armed while it is open, is what moves an idle open breaker to
 * half-open.
 */
export function createEngine(settings: EngineSettings): CircuitBreaker {
  const common = {
    rollingCountBuckets: settings.buckets,
    rollingCountTimeout: settings.buckets * settings.rotation.periodMs,
    rollingPercentilesEnabled: false,
    enableSnapshots: false,
    rotateBucketController: settings.rotation,
  };
  return new CircuitBreaker(engineAction as never, {
    ...common,
    name: settings.name,
    timeout: false,
    resetTimeout: settings.openDurationMs,
    volumeThreshold: Number.MAX_SAFE_INTEGER,
    errorFilter: engineErrorFilter as never,
    status: new LeanStatus(common),
  });
}

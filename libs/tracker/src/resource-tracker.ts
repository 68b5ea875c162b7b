import { redact, type LeakQuery, type ResourceHandle, type ResourceLeak, type ResourceRegistry } from '@ballast/core';

import { AuditTrail } from './audit-trail.js';
import { CreationStackSampler } from './creation-stack.js';
import type {
  LeakRetraction,
  LifetimeLimit,
  ResourceState,
  ScanResult,
  StackSampling,
  TrackedResourceView,
  TrackOptions,
} from './interfaces/tracked-resource.interface.js';

export interface ResourceTrackerConfig {
  /** Held longer than this (ms) without a more specific limit: reported as a leak. */
  readonly defaultMaxLifetimeMs: number;
  readonly limits?: readonly LifetimeLimit[];
  readonly stackSampling?: StackSampling;
  readonly auditTrailSize?: number;
  /** Types to record; anything else gets a no-op handle. Empty or absent: every type. */
  readonly types?: readonly string[];
  /** How many collected-without-close reports are kept for `detectLeaks` (oldest dropped). */
  readonly keepCollectedLeaks?: number;
  /** Clock, replaceable so tests can compress time. */
  readonly now?: () => number;
}

/** The tracker's handle: disposable, so `using handle = tracker.register(...)` releases it. */
export interface TrackedHandle extends ResourceHandle, Disposable {
  readonly type: string;
  readonly owner?: string;
  declareLongLived(): void;
}

export interface ResourceRecord {
  readonly id: string;
  type: string;
  owner?: string;
  readonly createdAt: number;
  readonly stack?: string;
  details?: Readonly<Record<string, unknown>>;
  state: ResourceState;
  longLived: boolean;
  maxLifetimeMs?: number;
  /** Set when a held-too-long leak was reported, so release can retract it. */
  leakReportedAt?: number;
  /** Records of `parts`, released with this one. */
  parts?: TrackedHandle[];
}

export interface LeakListener {
  onLeak?(leak: ResourceLeak): void;
  onRetract?(retraction: LeakRetraction): void;
}

const NOOP_HANDLE: TrackedHandle = Object.freeze({
  id: 'untracked',
  type: 'untracked',
  release: () => undefined,
  annotate: () => undefined,
  declareLongLived: () => undefined,
  [Symbol.dispose]: () => undefined,
});

/**
 * The registry of tracked resources. Records never hold their resource: a `FinalizationRegistry`
 * reports one dropped without close once the GC has collected it. (A `WeakRef` per record would let
 * a scan check too, but it cost 1.4 µs a registration, and each scan's `deref()` kept every
 * resource alive through any collection whose marking was under way.)
 */
export class ResourceTracker implements ResourceRegistry {
  readonly tracking = true;
  readonly audit: AuditTrail;

  private readonly records = new Map<string, ResourceRecord>();
  /** Records the signals made (workers, sockets ...), so their owner's registration refines them. */
  private readonly observed = new WeakMap<object, ResourceRecord>();
  private readonly openByType = new Map<string, number>();
  private readonly collected: ResourceLeak[] = [];
  private readonly retractions: LeakRetraction[] = [];
  private readonly listeners = new Set<LeakListener>();
  private readonly stacks: CreationStackSampler;
  private readonly finalizer: FinalizationRegistry<string>;
  private readonly types?: ReadonlySet<string>;
  private readonly limits: LifetimeLimit[];
  private readonly now: () => number;
  private nextId = 0;
  private owner?: string;
  private leakTotal = 0;
  private retractionTotal = 0;
  private collectedSinceScan = 0;

  constructor(private readonly config: ResourceTrackerConfig) {
    this.audit = new AuditTrail(config.auditTrailSize ?? 1_000);
    this.stacks = new CreationStackSampler(config.stackSampling ?? 'all');
    this.types = config.types?.length ? new Set(config.types) : undefined;
    this.limits = [...(config.limits ?? [])];
    this.now = config.now ?? Date.now;
    this.finalizer = new FinalizationRegistry((id) => this.onCollected(id));
  }

  /** The owner resources get when created inside `runAs` (signals read it at creation). */
  get currentOwner(): string | undefined {
    return this.owner;
  }

  /**
   * Attributes what `fn` opens synchronously (sockets, fds, timers; the call of an async open) to
   * `owner`. A plain variable rather than AsyncLocalStorage, which costs every await on Node 20.
   */
  runAs<T>(owner: string, fn: () => T): T {
    const previous = this.owner;
    this.owner = owner;
    try {
      return fn();
    } finally {
      this.owner = previous;
    }
  }

  /**
   * Records `resource` until it is released. A resource a signal already recorded (a worker, a
   * socket) is not counted twice: the owner's own registration refines that record (type, owner,
   * lifetime, details) and gets its handle.
   */
  register(resource: object, info: TrackOptions): TrackedHandle {
    return this.add(resource, info, false);
  }

  /**
   * What signals call: like `register`, and a later `register` of the same object refines this
   * record. Kept apart because the index costs about 1 µs a call, too much for every registration.
   */
  registerObserved(resource: object, info: TrackOptions): TrackedHandle {
    return this.add(resource, info, true);
  }

  private add(resource: object, info: TrackOptions, observe: boolean): TrackedHandle {
    const known = this.observed.get(resource);
    if (known?.state === 'open') return this.refine(known, info);
    if (this.types && !this.types.has(info.type)) return NOOP_HANDLE;
    const record = this.record(resource, info);
    if (observe) this.observed.set(resource, record);
    if (info.parts?.length) this.recordParts(record, info.parts);
    return this.handleFor(record);
  }

  private recordParts(record: ResourceRecord, parts: readonly object[]): void {
    record.parts = parts.map((part) =>
      this.registerObserved(part, {
        // What a signal already named it, else its class (a net.Socket is a `socket`).
        type: this.observed.get(part)?.type ?? (part.constructor?.name.toLowerCase() || 'part'),
        owner: record.owner,
        longLived: record.longLived,
        maxLifetimeMs: record.maxLifetimeMs,
      }),
    );
  }

  private record(resource: object, info: TrackOptions): ResourceRecord {
    this.nextId += 1;
    const id = `${info.type}#${this.nextId}`;
    const record: ResourceRecord = {
      id,
      type: info.type,
      owner: info.owner ?? this.owner,
      createdAt: this.now(),
      stack: this.stacks.sample(),
      details: info.details ? (redact(info.details) as Record<string, unknown>) : undefined,
      state: 'open',
      longLived: info.longLived ?? false,
      maxLifetimeMs: info.maxLifetimeMs,
    };
    this.records.set(id, record);
    this.openByType.set(info.type, (this.openByType.get(info.type) ?? 0) + 1);
    // The record is the unregister token: it holds the resource weakly, so this keeps nothing alive.
    this.finalizer.register(resource, id, record);
    this.audit.record('create', id, record.type, record.owner);
    return record;
  }

  private refine(record: ResourceRecord, info: TrackOptions): TrackedHandle {
    if (info.type !== record.type) {
      this.decrement(record.type);
      record.type = info.type;
      this.openByType.set(info.type, (this.openByType.get(info.type) ?? 0) + 1);
    }
    record.owner = info.owner ?? record.owner;
    record.longLived ||= info.longLived ?? false;
    record.maxLifetimeMs = info.maxLifetimeMs ?? record.maxLifetimeMs;
    if (info.details) this.annotateRecord(record, info.details);
    if (info.parts?.length) this.recordParts(record, info.parts);
    return this.handleFor(record);
  }

  private handleFor(record: ResourceRecord): TrackedHandle {
    return new RecordHandle(this, record);
  }

  /** @internal used by handles. */
  annotateRecord(record: ResourceRecord, details: Readonly<Record<string, unknown>>): void {
    if (record.state === 'open')
      record.details = { ...record.details, ...(redact(details) as Record<string, unknown>) };
  }

  /** Marks a resource closed; a leak reported for it earlier is retracted. Harmless twice. */
  release(id: string): void {
    const record = this.records.get(id);
    if (!record || record.state !== 'open') return;
    record.state = 'released';
    for (const part of record.parts ?? []) part.release();
    this.records.delete(id);
    this.decrement(record.type);
    this.finalizer.unregister(record);
    this.audit.record('release', id, record.type, record.owner);
    if (record.leakReportedAt !== undefined) {
      const heldMs = this.now() - record.createdAt;
      const retraction: LeakRetraction = {
        id,
        type: record.type,
        owner: record.owner,
        heldMs,
        message: `released after ${formatDuration(heldMs)}`,
      };
      this.retractionTotal += 1;
      this.retractions.push(retraction);
      if (this.retractions.length > 100) this.retractions.shift();
      this.audit.record('retract', id, record.type, record.owner, retraction.message);
      for (const listener of this.listeners) listener.onRetract?.(retraction);
    }
  }

  /** Marks a resource (by handle or id) as expected to live as long as the app. */
  declareLongLived(handleOrId: ResourceHandle | string): void {
    const record = this.records.get(typeof handleOrId === 'string' ? handleOrId : handleOrId.id);
    if (record) record.longLived = true;
  }

  /** Adds a lifetime limit; the most specific one wins (owner+type, then owner, then type). */
  setLimit(limit: LifetimeLimit): void {
    const index = this.limits.findIndex((l) => l.owner === limit.owner && l.type === limit.type);
    if (index >= 0) this.limits.splice(index, 1);
    this.limits.push(limit);
  }

  addListener(listener: LeakListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Looks at every open record once: held past its limit -> held-too-long (reported once,
   * retracted if it is released later). Also counts what was collected without close since the
   * last scan.
   */
  scan(): ScanResult {
    const now = this.now();
    let newLeaks = 0;
    // Collected records were reported by the FinalizationRegistry as the GC found them.
    const collected = this.collectedSinceScan;
    this.collectedSinceScan = 0;
    for (const record of this.records.values()) {
      if (record.longLived || record.leakReportedAt !== undefined) continue;
      if (now - record.createdAt > this.limitFor(record)) {
        record.leakReportedAt = now;
        newLeaks += 1;
        this.reportLeak(this.leakOf(record, 'held-too-long', now));
      }
    }
    return { newLeaks, collectedWithoutClose: collected, open: this.openCounts() };
  }

  /**
   * Leaks as of now. With `maxLifetimeMs`, everything open longer than that (except long-lived
   * resources); without, what the configured limits flag. Collected-without-close reports are
   * always included.
   */
  detectLeaks(query: LeakQuery = {}): ResourceLeak[] {
    const now = this.now();
    const out: ResourceLeak[] = [];
    for (const record of this.records.values()) {
      if (record.longLived) continue;
      const limit = query.maxLifetimeMs ?? this.limitFor(record);
      if (now - record.createdAt > limit) out.push(this.leakOf(record, 'held-too-long', now));
    }
    return [...this.collected, ...out].sort((a, b) => b.ageMs - a.ageMs);
  }

  /** Every open resource, oldest first (optionally one owner's or one type's). */
  list(filter: { owner?: string; type?: string } = {}): TrackedResourceView[] {
    const now = this.now();
    const out: TrackedResourceView[] = [];
    for (const record of this.records.values()) {
      if (filter.owner !== undefined && record.owner !== filter.owner) continue;
      if (filter.type !== undefined && record.type !== filter.type) continue;
      out.push({
        id: record.id,
        type: record.type,
        owner: record.owner,
        createdAt: new Date(record.createdAt).toISOString(),
        ageMs: now - record.createdAt,
        state: record.state,
        longLived: record.longLived,
        stack: record.stack,
        details: record.details,
      });
    }
    return out;
  }

  openCounts(): Map<string, number> {
    return new Map(this.openByType);
  }

  get stats(): { open: number; leaks: number; retractions: number; collectedWithoutClose: number } {
    return {
      open: this.records.size,
      leaks: this.leakTotal,
      retractions: this.retractionTotal,
      collectedWithoutClose: this.collected.length,
    };
  }

  recentRetractions(): readonly LeakRetraction[] {
    return this.retractions;
  }

  /** Forgets reported collected-without-close leaks (after they were acted on). */
  clearCollected(): void {
    this.collected.length = 0;
  }

  private onCollected(id: string): void {
    const record = this.records.get(id);
    if (!record || record.state !== 'open') return;
    record.state = 'collected';
    this.collectedSinceScan += 1;
    this.records.delete(id);
    this.decrement(record.type);
    const leak = this.leakOf(record, 'collected-without-close', this.now());
    this.collected.push(leak);
    if (this.collected.length > (this.config.keepCollectedLeaks ?? 500)) this.collected.shift();
    this.reportLeak(leak);
  }

  private reportLeak(leak: ResourceLeak): void {
    this.leakTotal += 1;
    this.audit.record(
      leak.reason === 'collected-without-close' ? 'collected' : 'leak',
      leak.id,
      leak.type,
      leak.owner,
      `${leak.reason} after ${formatDuration(leak.ageMs)}`,
    );
    for (const listener of this.listeners) listener.onLeak?.(leak);
  }

  private limitFor(record: ResourceRecord): number {
    if (record.maxLifetimeMs !== undefined) return record.maxLifetimeMs;
    let best: LifetimeLimit | undefined;
    let bestRank = -1;
    for (const limit of this.limits) {
      if (limit.owner !== undefined && limit.owner !== record.owner) continue;
      if (limit.type !== undefined && limit.type !== record.type) continue;
      const rank = (limit.owner !== undefined ? 2 : 0) + (limit.type !== undefined ? 1 : 0);
      if (rank > bestRank) {
        best = limit;
        bestRank = rank;
      }
    }
    return best?.maxLifetimeMs ?? this.config.defaultMaxLifetimeMs;
  }

  private leakOf(record: ResourceRecord, reason: ResourceLeak['reason'], now: number): ResourceLeak {
    return {
      id: record.id,
      type: record.type,
      owner: record.owner,
      ageMs: now - record.createdAt,
      reason,
      createdAt: new Date(record.createdAt).toISOString(),
      stack: record.stack,
      details: record.details,
    };
  }

  private decrement(type: string): void {
    const count = (this.openByType.get(type) ?? 1) - 1;
    this.openByType.set(type, Math.max(0, count));
  }
}

/** One object per resource, methods on the prototype: cheaper than a closure per method. */
class RecordHandle implements TrackedHandle {
  constructor(
    private readonly tracker: ResourceTracker,
    private readonly record: ResourceRecord,
  ) {}

  get id(): string {
    return this.record.id;
  }

  get type(): string {
    return this.record.type;
  }

  get owner(): string | undefined {
    return this.record.owner;
  }

  release(): void {
    this.tracker.release(this.record.id);
  }

  annotate(details: Readonly<Record<string, unknown>>): void {
    this.tracker.annotateRecord(this.record, details);
  }

  declareLongLived(): void {
    this.record.longLived = true;
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1_000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

import { AsyncLocalStorage } from 'node:async_hooks';

import { redact, type LeakQuery, type ResourceHandle, type ResourceLeak, type ResourceRegistry } from '@ballast/core';

import { AuditTrail } from './audit-trail.js';
import { CreationStackSampler } from './creation-stack.js';
import type {
  LeakRetraction,
  LifetimeLimit,
  ScanResult,
  StackSampling,
  TrackedResourceView,
  TrackOptions,
} from './interfaces/tracked-resource.interface.js';
import { DEFAULT_LEARNING, LearnedLifetimes, type LearnConfig } from './learned-lifetimes.js';
import { summarizeLeaks, type LeakSummary } from './leak-summary.js';
import { OverAgeGrowth, type OverAgeGroup } from './over-age-growth.js';
import { TrackedRecord, type RecordKeeper, type TrackedHandle, type TypeCount } from './tracked-record.js';

export type { TrackedHandle } from './tracked-record.js';

/**
 * Where owners come from besides `runAs`: the app's own AsyncLocalStorage (its store a string, or
 * an object with a string `owner`), or any function returning the current owner.
 */
export type OwnerSource = AsyncLocalStorage<unknown> | (() => string | undefined);

/** A signal's way to find the record of a resource it tracks without the tracker's index (an fd number, a FileHandle). */
export type RecordFinder = (resource: unknown) => TrackedHandle | undefined;

export interface ResourceTrackerConfig {
  /**
   * Held longer than this (ms) without a more specific limit: reported as a leak. Unset: only
   * explicit limits and learned lifetimes report held-too-long.
   */
  readonly defaultMaxLifetimeMs?: number;
  readonly limits?: readonly LifetimeLimit[];
  /**
   * Learn each (type, owner)'s normal lifetime and report what outlives it while the pair's count
   * of such resources keeps growing (`growthScans`; 1: on age alone); `false` turns it off.
   */
  readonly learn?: Partial<LearnConfig> | false;
  /** The owner of what is created outside `runAs`/`runAsAsync`. */
  readonly owner?: OwnerSource;
  /**
   * A record holds its resource this long (ms), then only weakly, so an object dropped unclosed is
   * reported when the GC collects it, without waiting for a scan; 0: only scans hand over.
   */
  readonly weakAfterMs?: number;
  readonly stackSampling?: StackSampling;
  readonly auditTrailSize?: number;
  /** Types to record; anything else gets a no-op handle. Empty or absent: every type. */
  readonly types?: readonly string[];
  /** How many collected-without-close reports are kept for `detectLeaks` (oldest dropped). */
  readonly keepCollectedLeaks?: number;
  /** Clock, replaceable so tests can compress time. */
  readonly now?: () => number;
}

/** What `judge` finds (flags). */
const WITHIN = 0;
const OVER_LIMIT = 1;
const OVER_LEARNED = 2;

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
 * Details as given when every value is a primitive, which is what signals pass: they are redacted
 * when read, which keeps redaction off the registration path. Anything else is redacted (and so
 * copied) at once, so a record never holds an object the caller handed in.
 */
function detailsOf(details: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  for (const key in details) {
    const value = details[key];
    if (typeof value === 'function' || (typeof value === 'object' && value !== null)) {
      return redact(details) as Record<string, unknown>;
    }
  }
  return details;
}

function redactedDetails(record: TrackedRecord): Readonly<Record<string, unknown>> | undefined {
  return record.details && (redact(record.details) as Record<string, unknown>);
}

/**
 * The registry of tracked resources. Open records form a list, oldest first: registering and
 * releasing are a few pointer writes, with no id string, map or hash on the way. A record holds its
 * resource only until the next scan; from then a `FinalizationRegistry` watches it and reports it
 * if the GC collects it unclosed. (A `WeakRef` per record would let a scan check too, but it cost
 * 1.4 µs a registration, and each scan's `deref()` kept every resource alive through any collection
 * whose marking was under way.)
 */
export class ResourceTracker implements ResourceRegistry, RecordKeeper {
  readonly tracking = true;
  readonly audit: AuditTrail;

  private oldest: TrackedRecord | undefined;
  private newest: TrackedRecord | undefined;
  private openTotal = 0;
  /** Records the signals made (workers, sockets ...), so their owner's registration refines them. */
  private readonly observed = new WeakMap<object, TrackedRecord>();
  private readonly counts = new Map<string, TypeCount>();
  private readonly collected: ResourceLeak[] = [];
  private readonly retractions: LeakRetraction[] = [];
  private readonly listeners = new Set<LeakListener>();
  private readonly stacks: CreationStackSampler;
  private readonly finalizer: FinalizationRegistry<TrackedRecord>;
  private readonly types?: ReadonlySet<string>;
  private readonly limits: LifetimeLimit[];
  private readonly now: () => number;
  private nextSeq = 0;
  private owner?: string;
  private context?: AsyncLocalStorage<string>;
  private readonly ownerOf?: () => string | undefined;
  private readonly learning?: LearnConfig;
  private readonly growth?: OverAgeGrowth;
  private readonly finders: RecordFinder[] = [];
  /** Collectable records not yet handed to the FinalizationRegistry, and the timer that will. */
  private pending: TrackedRecord[] = [];
  private handOffTimer?: NodeJS.Timeout;
  private readonly weakAfterMs: number;
  private leakTotal = 0;
  private retractionTotal = 0;
  private collectedSinceScan = 0;

  constructor(private readonly config: ResourceTrackerConfig) {
    this.audit = new AuditTrail(config.auditTrailSize ?? 1_000);
    this.stacks = new CreationStackSampler(config.stackSampling ?? 'all');
    this.types = config.types?.length ? new Set(config.types) : undefined;
    this.limits = [...(config.limits ?? [])];
    this.now = config.now ?? Date.now;
    this.finalizer = new FinalizationRegistry((record) => this.onCollected(record));
    this.learning = config.learn === false ? undefined : { ...DEFAULT_LEARNING, ...config.learn };
    if (this.learning && this.learning.growthScans > 1) this.growth = new OverAgeGrowth(this.learning.growthScans);
    this.ownerOf = ownerResolver(config.owner);
    this.weakAfterMs = config.weakAfterMs ?? 1_000;
  }

  /** The owner resources get when created inside `runAs` or `runAsAsync` (signals read it at creation). */
  get currentOwner(): string | undefined {
    return this.owner ?? this.context?.getStore() ?? this.ownerOf?.();
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
   * Like `runAs`, and the owner follows `fn` across its awaits: what the async flow opens later is
   * attributed too (a nested `runAs` still wins). Uses an AsyncLocalStorage created on first use,
   * which on Node 20 costs every await in the process from then on (FINDINGS: 2.6x on awaits,
   * 1.12x CPU per request), so it is opt-in: for hunting a leak's owner, or on a runtime where
   * AsyncLocalStorage is cheap.
   */
  runAsAsync<T>(owner: string, fn: () => T): T {
    this.context ??= new AsyncLocalStorage<string>();
    return this.context.run(owner, fn);
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
    const known = this.observed.get(resource) ?? (this.finders.length ? this.findBySignals(resource) : undefined);
    if (known?.state === 'open') return this.refine(known, info);
    if (this.types && !this.types.has(info.type)) return NOOP_HANDLE;
    const record = this.record(resource, info);
    if (observe) this.observed.set(resource, record);
    if (info.parts?.length) this.recordParts(record, info.parts);
    return record;
  }

  private recordParts(record: TrackedRecord, parts: readonly object[]): void {
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

  private record(resource: object, info: TrackOptions): TrackedRecord {
    const type = info.type;
    const counter = this.countOf(type);
    const now = this.now();
    const collectable = info.collectable ?? true;
    const record = new TrackedRecord(
      this,
      type,
      ++this.nextSeq,
      type,
      counter,
      info.owner ?? this.currentOwner,
      now,
      this.stacks.sample(counter, now),
      info.details && detailsOf(info.details),
      info.longLived ?? false,
      info.maxLifetimeMs,
      collectable,
    );
    counter.open += 1;
    this.openTotal += 1;
    if (this.newest) {
      this.newest.next = record;
      record.prev = this.newest;
    } else {
      this.oldest = record;
    }
    this.newest = record;
    // Held until the next scan gives it to the FinalizationRegistry: most resources are released
    // before then, and never pay for a registration there (a weak cell, and scavenges that must
    // visit it) nor for the unregistration.
    if (collectable) {
      record.held = resource;
      if (this.weakAfterMs > 0) this.pend(record);
    }
    this.audit.record('create', record, now);
    return record;
  }

  /** Queues a record for the hand-over to the FinalizationRegistry `weakAfterMs` from now. */
  private pend(record: TrackedRecord): void {
    this.pending.push(record);
    if (this.handOffTimer) return;
    this.handOffTimer = setTimeout(() => {
      this.handOffTimer = undefined;
      this.handOff();
    }, this.weakAfterMs);
    this.handOffTimer.unref();
  }

  /** Holds what is still open only weakly from now on: a collection without close is then reported. */
  private handOff(): void {
    const pending = this.pending;
    this.pending = [];
    for (const record of pending) this.weaken(record);
  }

  private weaken(record: TrackedRecord): void {
    if (record.held && record.state === 'open') {
      this.finalizer.register(record.held, record, record);
      record.held = undefined;
    }
  }

  private countOf(type: string): TypeCount {
    let count = this.counts.get(type);
    if (!count) {
      count = {
        open: 0,
        stackWindowStart: Number.NEGATIVE_INFINITY,
        stacksInWindow: 0,
        lifetimes: new LearnedLifetimes(),
      };
      this.counts.set(type, count);
    }
    return count;
  }

  private refine(record: TrackedRecord, info: TrackOptions): TrackedHandle {
    if (info.type !== record.type) {
      record.counter.open -= 1;
      record.type = info.type;
      record.counter = this.countOf(info.type);
      record.counter.open += 1;
    }
    record.owner = info.owner ?? record.owner;
    record.longLived ||= info.longLived ?? false;
    record.maxLifetimeMs = info.maxLifetimeMs ?? record.maxLifetimeMs;
    if (info.details) this.annotateRecord(record, info.details);
    if (info.parts?.length) this.recordParts(record, info.parts);
    return record;
  }

  /** @internal what a record's `annotate` calls. */
  annotateRecord(record: TrackedRecord, details: Readonly<Record<string, unknown>>): void {
    if (record.state === 'open') record.details = { ...record.details, ...detailsOf(details) };
  }

  /** @internal what a record's `release` calls: marks it closed and retracts an earlier leak report. */
  releaseRecord(record: TrackedRecord): void {
    if (record.state !== 'open') return;
    this.unlink(record, 'released');
    if (record.held) record.held = undefined;
    else if (record.collectable) this.finalizer.unregister(record);
    const now = this.now();
    if (!record.longLived && this.learning) record.counter.lifetimes.observe(record.owner, now - record.createdAt);
    this.audit.record('release', record, now);
    if (record.parts) for (const part of record.parts) part.release();
    if (record.leakReportedAt !== undefined) this.retract(record, now);
  }

  private unlink(record: TrackedRecord, state: 'released' | 'collected'): void {
    record.state = state;
    record.counter.open -= 1;
    this.openTotal -= 1;
    const { prev, next } = record;
    if (prev) prev.next = next;
    else this.oldest = next;
    if (next) next.prev = prev;
    else this.newest = prev;
    record.prev = record.next = undefined;
  }

  private retract(record: TrackedRecord, now: number): void {
    const heldMs = now - record.createdAt;
    const retraction: LeakRetraction = {
      id: record.id,
      type: record.type,
      owner: record.owner,
      heldMs,
      message: `released after ${formatDuration(heldMs)}`,
    };
    this.retractionTotal += 1;
    this.retractions.push(retraction);
    if (this.retractions.length > 100) this.retractions.shift();
    this.audit.record('retract', record, now, retraction.message);
    for (const listener of this.listeners) listener.onRetract?.(retraction);
  }

  /**
   * Marks a resource as expected to live as long as the app: its handle, its id, or the resource
   * itself (an fd number, a FileHandle, a socket, a timer or its numeric id, a child process, a
   * worker, a watcher, an emitter, a registered object). Never creates a record; returns whether
   * one was found (a leak reported earlier is retracted).
   */
  declareLongLived(target: ResourceHandle | string | number | object): boolean {
    const record = this.recordOf(target);
    if (!record || record.state !== 'open') return false;
    record.declareLongLived();
    if (record.leakReportedAt !== undefined) {
      record.leakReportedAt = undefined;
      this.retract(record, this.now());
    }
    return true;
  }

  /** The open record of a resource (as `declareLongLived` accepts it), or undefined. */
  find(target: ResourceHandle | string | number | object): TrackedHandle | undefined {
    const record = this.recordOf(target);
    return record?.state === 'open' ? record : undefined;
  }

  /** How a signal makes its resources findable by `find`/`declareLongLived`; returns the undo. */
  addFinder(finder: RecordFinder): () => void {
    this.finders.push(finder);
    return () => {
      const index = this.finders.indexOf(finder);
      if (index >= 0) this.finders.splice(index, 1);
    };
  }

  private recordOf(target: ResourceHandle | string | number | object): TrackedRecord | undefined {
    if (target instanceof TrackedRecord) return target;
    if (typeof target === 'string') {
      for (let record = this.oldest; record; record = record.next) if (record.id === target) return record;
      return undefined;
    }
    if (typeof target === 'object') {
      const observed = this.observed.get(target);
      if (observed) return observed;
    }
    const found = this.findBySignals(target);
    if (found) return found;
    if (typeof target !== 'object' || target === null) return undefined;
    // A registered object no index knows: by what the record still holds, else by its handle's id.
    for (let record = this.oldest; record; record = record.next) if (record.held === target) return record;
    const id = (target as { id?: unknown }).id;
    return typeof id === 'string' ? this.recordOf(id) : undefined;
  }

  private findBySignals(resource: unknown): TrackedRecord | undefined {
    for (const finder of this.finders) {
      const found = finder(resource);
      if (found instanceof TrackedRecord && found.state === 'open') return found;
    }
    return undefined;
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
   * Looks at every open record once: held past its explicit limit, or past the global one, or
   * past its learned one while its (type, owner)'s count of such records keeps growing ->
   * held-too-long (reported once, retracted if it is released later). Also counts what was
   * collected without close since the last scan, and hands what is still open to the
   * FinalizationRegistry and lets go of it, so a resource dropped without close is reported once
   * the GC has collected it, after this scan.
   */
  scan(): ScanResult {
    const now = this.now();
    let newLeaks = 0;
    // Collected records were reported by the FinalizationRegistry as the GC found them.
    const collected = this.collectedSinceScan;
    this.collectedSinceScan = 0;
    this.pending = [];
    const growth = this.growth;
    growth?.begin();
    // Past the learned limit only: reported after the loop, if their group's count grew.
    let waiting: Array<[TrackedRecord, OverAgeGroup]> | undefined;
    for (let record = this.oldest; record; record = record.next) {
      if (record.held) this.weaken(record);
      if (record.longLived) continue;
      const verdict = this.judge(record, now - record.createdAt);
      if (verdict === WITHIN) continue;
      // Every record past its learned limit counts towards its group, reported or not.
      const group = verdict & OVER_LEARNED && growth ? growth.count(record.type, record.owner) : undefined;
      if (record.leakReportedAt !== undefined) continue;
      if (verdict & OVER_LIMIT || !group) newLeaks += this.reportHeld(record, now);
      else (waiting ??= []).push([record, group]);
    }
    if (growth) {
      growth.end();
      for (const [record, group] of waiting ?? [])
        if (growth.isGrowing(group)) newLeaks += this.reportHeld(record, now);
    }
    return { newLeaks, collectedWithoutClose: collected, open: this.openCounts() };
  }

  private reportHeld(record: TrackedRecord, now: number): number {
    record.leakReportedAt = now;
    this.reportLeak(record, this.leakOf(record, 'held-too-long', now));
    return 1;
  }

  /**
   * Leaks as of now. With `maxLifetimeMs`, everything open longer than that (except long-lived
   * resources); without, what the configured limits flag, and what is past its learned limit in
   * a (type, owner) the last scan found growing. Collected-without-close reports are always
   * included.
   */
  detectLeaks(query: LeakQuery = {}): ResourceLeak[] {
    const now = this.now();
    const out: ResourceLeak[] = [];
    for (let record = this.oldest; record; record = record.next) {
      if (record.longLived) continue;
      const ageMs = now - record.createdAt;
      const leaked =
        query.maxLifetimeMs !== undefined ? ageMs > query.maxLifetimeMs : this.isHeldTooLong(record, ageMs);
      if (leaked) out.push(this.leakOf(record, 'held-too-long', now));
    }
    return [...this.collected, ...out].sort((a, b) => b.ageMs - a.ageMs);
  }

  /** Leaks grouped by owner and type, with counts, rate and the oldest creation stack. */
  leakSummary(query: LeakQuery = {}): LeakSummary[] {
    return summarizeLeaks(this.detectLeaks(query));
  }

  /**
   * Every open resource, oldest first (optionally one owner's or one type's): how to find what to
   * pass to `declareLongLived` when the resource itself is out of reach (its `id`).
   */
  list(filter: { owner?: string; type?: string } = {}): TrackedResourceView[] {
    const now = this.now();
    const out: TrackedResourceView[] = [];
    for (let record = this.oldest; record; record = record.next) {
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
        details: redactedDetails(record),
      });
    }
    return out;
  }

  openCounts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [type, count] of this.counts) out.set(type, count.open);
    return out;
  }

  get stats(): { open: number; leaks: number; retractions: number; collectedWithoutClose: number } {
    return {
      open: this.openTotal,
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

  private onCollected(record: TrackedRecord): void {
    if (record.state !== 'open') return;
    this.unlink(record, 'collected');
    this.collectedSinceScan += 1;
    const leak = this.leakOf(record, 'collected-without-close', this.now());
    this.collected.push(leak);
    if (this.collected.length > (this.config.keepCollectedLeaks ?? 500)) this.collected.shift();
    this.reportLeak(record, leak);
  }

  private reportLeak(record: TrackedRecord, leak: ResourceLeak): void {
    this.leakTotal += 1;
    const kind = leak.reason === 'collected-without-close' ? 'collected' : 'leak';
    this.audit.record(kind, record, this.now(), `${leak.reason} after ${formatDuration(leak.ageMs)}`);
    for (const listener of this.listeners) listener.onLeak?.(leak);
  }

  /**
   * Where a record of this age stands (flags): past its explicit limit, or without one past the
   * global limit (OVER_LIMIT); without an explicit limit, past its learned one (OVER_LEARNED).
   * An explicit limit is the record's only limit: the global and learned ones do not apply.
   */
  private judge(record: TrackedRecord, ageMs: number): number {
    const explicit = this.explicitLimitFor(record);
    if (explicit !== undefined) return ageMs > explicit ? OVER_LIMIT : WITHIN;
    const global = this.config.defaultMaxLifetimeMs;
    const learned = this.learning && record.counter.lifetimes.limit(record.owner, this.learning);
    return (
      (global !== undefined && ageMs > global ? OVER_LIMIT : WITHIN) |
      (learned !== undefined && ageMs > learned ? OVER_LEARNED : WITHIN)
    );
  }

  private isHeldTooLong(record: TrackedRecord, ageMs: number): boolean {
    const verdict = this.judge(record, ageMs);
    if (verdict & OVER_LIMIT) return true;
    if (!(verdict & OVER_LEARNED)) return false;
    return !this.growth || this.growth.isGrowingNow(record.type, record.owner);
  }

  /** The record's own limit, else the most specific `limits` entry (owner+type, owner, type). */
  private explicitLimitFor(record: TrackedRecord): number | undefined {
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
    return best?.maxLifetimeMs;
  }

  private leakOf(record: TrackedRecord, reason: ResourceLeak['reason'], now: number): ResourceLeak {
    return {
      id: record.id,
      type: record.type,
      owner: record.owner,
      ageMs: now - record.createdAt,
      reason,
      createdAt: new Date(record.createdAt).toISOString(),
      stack: record.stack,
      details: redactedDetails(record),
    };
  }
}

function ownerResolver(source: OwnerSource | undefined): (() => string | undefined) | undefined {
  if (!source || typeof source === 'function') return source;
  return () => {
    const store = source.getStore();
    if (typeof store === 'string') return store;
    const owner = (store as { owner?: unknown } | undefined)?.owner;
    return typeof owner === 'string' ? owner : undefined;
  };
}

export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1_000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

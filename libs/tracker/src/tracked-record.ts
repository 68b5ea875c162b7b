import type { ResourceHandle } from '@ballast/core';

import type { StackBudget } from './creation-stack.js';
import type { ResourceState } from './interfaces/tracked-resource.interface.js';
import type { LearnedLifetimes } from './learned-lifetimes.js';

/** The tracker's handle: disposable, so `using handle = tracker.register(...)` releases it. */
export interface TrackedHandle extends ResourceHandle, Disposable {
  readonly type: string;
  readonly owner?: string;
  declareLongLived(): void;
}

/** Per type: how many are open and how long they lived (a record holds its counter, so release needs no lookup). */
export interface TypeCount extends StackBudget {
  open: number;
  readonly lifetimes: LearnedLifetimes;
}

/** What a record calls back into. */
export interface RecordKeeper {
  releaseRecord(record: TrackedRecord): void;
  annotateRecord(record: TrackedRecord, details: Readonly<Record<string, unknown>>): void;
}

/**
 * One tracked resource: its record and its handle in one object, and a link in the tracker's list
 * of open records. Registration sits on hot paths (a FileHandle per open, a user object per
 * request), so it costs one allocation, no id string (made when read) and no hashing.
 */
export class TrackedRecord implements TrackedHandle {
  /** Neighbours in the tracker's list of open records, oldest first. */
  prev: TrackedRecord | undefined = undefined;
  next: TrackedRecord | undefined = undefined;
  state: ResourceState = 'open';
  /** Set when a held-too-long leak was reported, so release can retract it. */
  leakReportedAt: number | undefined = undefined;
  /** Records of `parts`, released with this one. */
  parts: TrackedHandle[] | undefined = undefined;
  /**
   * The resource itself, from registration until the first scan hands it to the
   * FinalizationRegistry (see `ResourceTracker.scan`); never set for what is not collectable.
   */
  held: object | undefined = undefined;

  constructor(
    private readonly keeper: RecordKeeper,
    /** The type at creation, which the id keeps when a refinement renames the type. */
    readonly idType: string,
    readonly seq: number,
    public type: string,
    public counter: TypeCount,
    public owner: string | undefined,
    readonly createdAt: number,
    readonly stack: string | undefined,
    /** As given when every value is a primitive, redacted when read (see `detailsOf`). */
    public details: Readonly<Record<string, unknown>> | undefined,
    public longLived: boolean,
    public maxLifetimeMs: number | undefined,
    /** Watched for collection without close (see `TrackOptions.collectable`). */
    readonly collectable: boolean,
  ) {}

  get id(): string {
    return `${this.idType}#${this.seq}`;
  }

  release(): void {
    this.keeper.releaseRecord(this);
  }

  annotate(details: Readonly<Record<string, unknown>>): void {
    this.keeper.annotateRecord(this, details);
  }

  declareLongLived(): void {
    this.longLived = true;
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

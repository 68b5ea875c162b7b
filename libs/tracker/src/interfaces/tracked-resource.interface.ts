import type { ResourceInfo } from '@ballast/core';

export type ResourceState = 'open' | 'released' | 'collected';

/**
 * How creation stacks are sampled: every resource, none, one in N, or up to N a second for each
 * type (the default: a bounded cost however fast resources come, and a rare type still gets its
 * stacks while a busy one is sampled).
 */
export type StackSampling = 'all' | 'none' | number | { readonly perSecond: number };

/** What `register` accepts beyond core's `ResourceInfo`. */
export interface TrackOptions extends ResourceInfo {
  /** Overrides every configured limit for this one resource. */
  readonly maxLifetimeMs?: number;
  /**
   * `false` for what the event loop holds while it is open (sockets, timers, workers, child
   * processes): it cannot be collected unclosed, so it skips the FinalizationRegistry, which is
   * the largest part of a registration's cost. Default `true`.
   */
  readonly collectable?: boolean;
}

/** A tracked resource as reports and the audit trail show it. */
export interface TrackedResourceView {
  readonly id: string;
  readonly type: string;
  readonly owner?: string;
  readonly createdAt: string;
  readonly ageMs: number;
  readonly state: ResourceState;
  readonly longLived: boolean;
  readonly stack?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** A lifetime limit for an owner, a type, or an owner's resources of one type. */
export interface LifetimeLimit {
  readonly owner?: string;
  readonly type?: string;
  readonly maxLifetimeMs: number;
}

export type AuditEventKind = 'create' | 'release' | 'leak' | 'retract' | 'collected';

export interface AuditEvent {
  readonly seq: number;
  readonly at: string;
  readonly kind: AuditEventKind;
  readonly id: string;
  readonly type: string;
  readonly owner?: string;
  readonly message?: string;
}

export interface AuditQuery {
  readonly kind?: AuditEventKind;
  readonly type?: string;
  readonly owner?: string;
  /** Only events after this sequence number (for incremental export). */
  readonly afterSeq?: number;
  readonly limit?: number;
}

/** A report that a leak flagged earlier was a false alarm after all. */
export interface LeakRetraction {
  readonly id: string;
  readonly type: string;
  readonly owner?: string;
  readonly heldMs: number;
  readonly message: string;
}

export interface ScanResult {
  readonly newLeaks: number;
  readonly collectedWithoutClose: number;
  readonly open: ReadonlyMap<string, number>;
}

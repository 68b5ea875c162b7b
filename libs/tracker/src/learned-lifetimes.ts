/** How the normal lifetime of a type (and of one owner's resources of that type) is learned. */
export interface LearnConfig {
  /** A resource held longer than `factor` x the longest lifetime seen so far is an outlier. */
  readonly factor: number;
  /** Never report below this, however short-lived the type normally is (ms). */
  readonly minMs: number;
  /** Releases needed before a learned limit applies (one sample says little). */
  readonly afterReleases: number;
  /**
   * Scans at which a (type, owner)'s count of resources past the learned limit must reach a new
   * high before the learned rule reports them (see OverAgeGrowth); 1: on age alone.
   */
  readonly growthScans: number;
}

export const DEFAULT_LEARNING: LearnConfig = { factor: 10, minMs: 60_000, afterReleases: 2, growthScans: 2 };

/** What was seen of one (type) or (type, owner): how many were released and the longest lifetime. */
export interface Lifetimes {
  releases: number;
  longestMs: number;
}

/**
 * The lifetimes a type's records had, overall and per owner. Kept on the type's counter, which a
 * record already holds, so a release costs one Map lookup for an owned record and none otherwise.
 */
export class LearnedLifetimes {
  readonly all: Lifetimes = { releases: 0, longestMs: 0 };
  private byOwner: Map<string, Lifetimes> | undefined;

  observe(owner: string | undefined, heldMs: number): void {
    const all = this.all;
    all.releases += 1;
    if (heldMs > all.longestMs) all.longestMs = heldMs;
    if (owner === undefined) return;
    this.byOwner ??= new Map();
    let mine = this.byOwner.get(owner);
    if (!mine) {
      mine = { releases: 0, longestMs: 0 };
      this.byOwner.set(owner, mine);
    }
    mine.releases += 1;
    if (heldMs > mine.longestMs) mine.longestMs = heldMs;
  }

  /**
   * The learned limit for an owner's resource: from that owner's releases when there are enough,
   * else from the type's; undefined while neither has enough.
   */
  limit(owner: string | undefined, config: LearnConfig): number | undefined {
    const mine = owner === undefined ? undefined : this.byOwner?.get(owner);
    const basis = mine && mine.releases >= config.afterReleases ? mine : this.all;
    if (basis.releases < config.afterReleases) return undefined;
    return Math.max(config.minMs, basis.longestMs * config.factor);
  }

  /** What a report shows: the basis of the limit. */
  describe(owner: string | undefined): Lifetimes {
    const mine = owner === undefined ? undefined : this.byOwner?.get(owner);
    return mine ?? this.all;
  }
}

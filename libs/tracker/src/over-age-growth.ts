/**
 * One (type, owner)'s resources past their learned lifetime, across scans: how many there are now,
 * the most there have been, and at how many scans that most rose.
 */
export interface OverAgeGroup {
  /** Open, not long-lived, past the learned limit at the current scan. */
  count: number;
  /** The highest `count` since the group last had none over age. */
  high: number;
  /** Scans at which `count` reached a new `high` since the group last had none over age. */
  highs: number;
  /** The scan `count` belongs to. */
  scan: number;
}

/**
 * Whether a (type, owner)'s count of resources past their learned lifetime keeps growing: the
 * learned rule reports them only once that count has reached a new high at `growthScans` different
 * scans since it was last zero. A steady leak crosses the learned limit one resource after another
 * and is reported when the `growthScans`-th one has; a resource (or a batch opened at once) held
 * long and stable raises the count once and stays quiet. A group with none over age at a scan is
 * forgotten, so what was released starts again from nothing.
 */
export class OverAgeGrowth {
  private readonly groups = new Map<string, OverAgeGroup>();
  private scanNo = 0;

  constructor(private readonly growthScans: number) {}

  /** Starts a scan's counting. */
  begin(): void {
    this.scanNo += 1;
  }

  /** Counts one resource past its learned limit at this scan; returns its group. */
  count(type: string, owner: string | undefined): OverAgeGroup {
    const key = groupKey(type, owner);
    let group = this.groups.get(key);
    if (!group) {
      group = { count: 0, high: 0, highs: 0, scan: this.scanNo };
      this.groups.set(key, group);
    } else if (group.scan !== this.scanNo) {
      group.count = 0;
      group.scan = this.scanNo;
    }
    group.count += 1;
    return group;
  }

  /** Ends a scan: counts new highs, forgets groups with nothing over age. */
  end(): void {
    for (const [key, group] of this.groups) {
      if (group.scan !== this.scanNo) {
        this.groups.delete(key);
      } else if (group.count > group.high) {
        group.high = group.count;
        group.highs += 1;
      }
    }
  }

  /** Whether the group's over-age count has grown enough for the learned rule to report it. */
  isGrowing(group: OverAgeGroup): boolean {
    return group.highs >= this.growthScans;
  }

  /** The same, by type and owner, as of the last scan (what `detectLeaks` reads between scans). */
  isGrowingNow(type: string, owner: string | undefined): boolean {
    const group = this.groups.get(groupKey(type, owner));
    return group !== undefined && this.isGrowing(group);
  }
}

function groupKey(type: string, owner: string | undefined): string {
  // An owner can be any string; a type is a short name: keep "no owner" apart from an empty one.
  return owner === undefined ? type : `${type}\u0000${owner}`;
}

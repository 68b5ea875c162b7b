/** Which keys carry which tag, kept only for tagged entries so untagged ones cost nothing. */
export class TagIndex {
  private readonly keysByTag = new Map<string, Set<string>>();
  private readonly tagsByKey = new Map<string, readonly string[]>();

  get size(): number {
    return this.tagsByKey.size;
  }

  add(key: string, tags: readonly string[]): void {
    this.tagsByKey.set(key, tags);
    for (const tag of tags) {
      let keys = this.keysByTag.get(tag);
      if (keys === undefined) this.keysByTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
  }

  remove(key: string): void {
    const tags = this.tagsByKey.get(key);
    if (tags === undefined) return;
    this.tagsByKey.delete(key);
    for (const tag of tags) {
      const keys = this.keysByTag.get(tag);
      if (keys === undefined) continue;
      keys.delete(key);
      if (keys.size === 0) this.keysByTag.delete(tag);
    }
  }

  /** Every key carrying at least one of `tags` (a copy: callers remove while they iterate). */
  keysOf(tags: readonly string[]): string[] {
    const out = new Set<string>();
    for (const tag of tags) for (const key of this.keysByTag.get(tag) ?? []) out.add(key);
    return [...out];
  }

  tagsOf(key: string): readonly string[] | undefined {
    return this.tagsByKey.get(key);
  }

  clear(): void {
    this.keysByTag.clear();
    this.tagsByKey.clear();
  }
}

/** Rough heap cost of tagging one entry with `tags` (two map entries and a set entry per tag). */
export function tagsSize(tags: readonly string[] | undefined): number {
  return tags === undefined || tags.length === 0 ? 0 : 48 + tags.length * 72;
}

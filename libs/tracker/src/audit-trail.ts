import type { AuditEvent, AuditEventKind, AuditQuery } from './interfaces/tracked-resource.interface.js';

type StoredEvent = Omit<AuditEvent, 'at'> & { readonly at: number };

/**
 * A bounded log of what happened to tracked resources. A fixed array written round-robin, so
 * recording costs one object and no growth however long the app runs.
 */
export class AuditTrail {
  // Stored with a numeric time; the ISO string is made when someone reads the trail.
  private readonly events: Array<StoredEvent | undefined>;
  private next = 0;
  private seq = 0;

  constructor(readonly capacity: number) {
    this.events = new Array<StoredEvent | undefined>(Math.max(0, capacity));
  }

  record(kind: AuditEventKind, id: string, type: string, owner: string | undefined, message?: string): void {
    if (this.capacity === 0) return;
    this.seq += 1;
    this.events[this.next] = { seq: this.seq, at: Date.now(), kind, id, type, owner, message };
    this.next = (this.next + 1) % this.capacity;
  }

  /** Oldest first. */
  query(query: AuditQuery = {}): AuditEvent[] {
    const out: AuditEvent[] = [];
    for (let i = 0; i < this.capacity; i++) {
      const event = this.events[(this.next + i) % this.capacity];
      if (!event) continue;
      if (query.kind && event.kind !== query.kind) continue;
      if (query.type && event.type !== query.type) continue;
      if (query.owner && event.owner !== query.owner) continue;
      if (query.afterSeq !== undefined && event.seq <= query.afterSeq) continue;
      out.push({ ...event, at: new Date(event.at).toISOString() });
    }
    return query.limit !== undefined ? out.slice(-query.limit) : out;
  }

  /** Newline-delimited JSON, one event per line, for shipping to a log store. */
  export(query?: AuditQuery): string {
    return this.query(query)
      .map((event) => JSON.stringify(event))
      .join('\n');
  }
}

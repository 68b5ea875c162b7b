import type { AuditEvent, AuditEventKind, AuditQuery } from './interfaces/tracked-resource.interface.js';

/** What an event is about: a record's id (as type at creation and sequence number), type and owner. */
export interface AuditSubject {
  readonly idType: string;
  readonly seq: number;
  readonly type: string;
  readonly owner?: string;
}

const KINDS: readonly AuditEventKind[] = ['create', 'release', 'leak', 'retract', 'collected'];
const KIND_CODE: Readonly<Record<AuditEventKind, number>> = {
  create: 0,
  release: 1,
  leak: 2,
  retract: 3,
  collected: 4,
};

/**
 * A bounded log of what happened to tracked resources: fixed arrays written round-robin, so
 * recording an event allocates nothing and the trail never grows however long the app runs. It
 * sits on every create and release, which is why the event objects (and ids) are only made when
 * read. It keeps the subject's fields, not the subject: a record held here would outlive its
 * release by a thousand events and be promoted to the old generation, GC work for every resource.
 */
export class AuditTrail {
  private readonly idTypes: Array<string | undefined>;
  private readonly idSeqs: Float64Array;
  private readonly types: Array<string | undefined>;
  private readonly owners: Array<string | undefined>;
  private readonly messages: Array<string | undefined>;
  private readonly kinds: Uint8Array;
  private readonly times: Float64Array;
  private next = 0;
  private seq = 0;

  constructor(readonly capacity: number) {
    const size = Math.max(0, capacity);
    this.idTypes = new Array<string | undefined>(size).fill(undefined);
    this.idSeqs = new Float64Array(size);
    this.types = new Array<string | undefined>(size).fill(undefined);
    this.owners = new Array<string | undefined>(size).fill(undefined);
    this.messages = new Array<string | undefined>(size).fill(undefined);
    this.kinds = new Uint8Array(size);
    this.times = new Float64Array(size);
  }

  record(kind: AuditEventKind, subject: AuditSubject, at: number, message?: string): void {
    if (this.capacity <= 0) return;
    const slot = this.next;
    this.idTypes[slot] = subject.idType;
    this.idSeqs[slot] = subject.seq;
    this.types[slot] = subject.type;
    this.owners[slot] = subject.owner;
    this.messages[slot] = message;
    this.kinds[slot] = KIND_CODE[kind];
    this.times[slot] = at;
    this.seq += 1;
    this.next = slot + 1 === this.capacity ? 0 : slot + 1;
  }

  /** Oldest first. */
  query(query: AuditQuery = {}): AuditEvent[] {
    const out: AuditEvent[] = [];
    const stored = Math.min(this.seq, this.capacity);
    for (let i = stored; i > 0; i--) {
      const slot = (this.next - i + this.capacity) % this.capacity;
      const event: AuditEvent = {
        seq: this.seq - i + 1,
        at: new Date(this.times[slot]!).toISOString(),
        kind: KINDS[this.kinds[slot]!]!,
        id: `${this.idTypes[slot]!}#${this.idSeqs[slot]!}`,
        type: this.types[slot]!,
        owner: this.owners[slot],
        message: this.messages[slot],
      };
      if (query.kind && event.kind !== query.kind) continue;
      if (query.type && event.type !== query.type) continue;
      if (query.owner && event.owner !== query.owner) continue;
      if (query.afterSeq !== undefined && event.seq <= query.afterSeq) continue;
      out.push(event);
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

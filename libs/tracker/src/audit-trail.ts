import type { AuditEvent, AuditEventKind, AuditQuery } from './interfaces/tracked-resource.interface.js';

/** What an event is about: read when the trail is read, so recording copies nothing. */
export interface AuditSubject {
  readonly id: string;
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
 * sits on every create and release, which is why the event objects are only made when read. An
 * event shows its subject's type and owner as last known (an owner's registration can refine a
 * record a signal made).
 */
export class AuditTrail {
  private readonly subjects: Array<AuditSubject | undefined>;
  private readonly messages: Array<string | undefined>;
  private readonly kinds: Uint8Array;
  private readonly times: Float64Array;
  private next = 0;
  private seq = 0;

  constructor(readonly capacity: number) {
    const size = Math.max(0, capacity);
    this.subjects = new Array<AuditSubject | undefined>(size).fill(undefined);
    this.messages = new Array<string | undefined>(size).fill(undefined);
    this.kinds = new Uint8Array(size);
    this.times = new Float64Array(size);
  }

  record(kind: AuditEventKind, subject: AuditSubject, at: number, message?: string): void {
    if (this.capacity <= 0) return;
    const slot = this.next;
    this.subjects[slot] = subject;
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
      const subject = this.subjects[slot]!;
      const event: AuditEvent = {
        seq: this.seq - i + 1,
        at: new Date(this.times[slot]!).toISOString(),
        kind: KINDS[this.kinds[slot]!]!,
        id: subject.id,
        type: subject.type,
        owner: subject.owner,
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

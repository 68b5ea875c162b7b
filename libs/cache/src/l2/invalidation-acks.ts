import { randomUUID } from 'node:crypto';

interface PendingAck {
  received: number;
  /** Known once PUBLISH has answered; acks may arrive before it does. */
  expected: number | undefined;
  timer: NodeJS.Timeout | undefined;
  resolve: (allAcked: boolean) => void;
}

/**
 * The acknowledgements a writer waits for under read-your-writes. An ack can come back (on the
 * subscriber connection) before PUBLISH's own reply (on the commands connection), so a wait is
 * opened before publishing and told how many receivers there were afterwards.
 */
export class InvalidationAcks {
  private readonly pending = new Map<string, PendingAck>();

  constructor(private readonly timeoutMs: number) {}

  /** A new id to send with an invalidation, and the promise of its acks (true: all came in time). */
  open(): { id: string; done: Promise<boolean> } {
    const id = randomUUID();
    let resolve!: (allAcked: boolean) => void;
    const done = new Promise<boolean>((settle) => (resolve = settle));
    this.pending.set(id, { received: 0, expected: undefined, timer: undefined, resolve });
    return { id, done };
  }

  /** PUBLISH reached `receivers` other instances: resolve once that many acks are in, or at the timeout. */
  expect(id: string, receivers: number): void {
    const wait = this.pending.get(id);
    if (wait === undefined) return;
    wait.expected = receivers;
    if (wait.received >= receivers) return this.settle(id, true);
    wait.timer = setTimeout(() => this.settle(id, false), this.timeoutMs);
  }

  /** An ack came in. */
  received(id: string): void {
    const wait = this.pending.get(id);
    if (wait === undefined) return;
    wait.received++;
    if (wait.expected !== undefined && wait.received >= wait.expected) this.settle(id, true);
  }

  /** The invalidation was never published (the command failed): nobody will ack it. */
  cancel(id: string): void {
    this.settle(id, true);
  }

  /** Shutdown: every writer still waiting goes on at once. */
  close(): void {
    for (const id of [...this.pending.keys()]) this.settle(id, true);
  }

  private settle(id: string, allAcked: boolean): void {
    const wait = this.pending.get(id);
    if (wait === undefined) return;
    this.pending.delete(id);
    clearTimeout(wait.timer);
    wait.resolve(allAcked);
  }
}

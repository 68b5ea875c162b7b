import { createHook, type AsyncHook } from 'node:async_hooks';

/**
 * The debug level: every async resource's init and destroy, by type. It makes every await
 * several times slower (see docs/tracker.md), so it is opt-in, for hunting a leak the cheap
 * signals do not name.
 */
export class AsyncResourceRecorder {
  private readonly live = new Map<number, string>();
  private hook?: AsyncHook;

  start(): void {
    if (this.hook) return;
    const live = this.live;
    this.hook = createHook({
      init(asyncId, type) {
        // Promises come and go by the million; they are not handles and would drown the rest.
        if (type !== 'PROMISE') live.set(asyncId, type);
      },
      destroy(asyncId) {
        live.delete(asyncId);
      },
    }).enable();
  }

  stop(): void {
    this.hook?.disable();
    this.hook = undefined;
    this.live.clear();
  }

  counts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const type of this.live.values()) out.set(type, (out.get(type) ?? 0) + 1);
    return out;
  }
}

import { syncBuiltinESMExports } from 'node:module';
import workerThreads from 'node:worker_threads';

import type { ResourceSignal } from './signal.interface.js';

/**
 * Worker threads, each released when it exits. `worker_threads.Worker` is replaced by a subclass
 * (so `instanceof Worker` still holds) for as long as the tracker runs.
 */
export const workerSignal: ResourceSignal = {
  name: 'workers',
  start(tracker) {
    const target = workerThreads as unknown as { Worker: typeof workerThreads.Worker };
    const Original = target.Worker;
    class TrackedWorker extends Original {
      constructor(...args: ConstructorParameters<typeof Original>) {
        super(...args);
        const script = args[0];
        const handle = tracker.registerObserved(this, {
          type: 'worker',
          collectable: false,
          owner: tracker.currentOwner,
          // An eval'd script is code, not a name: show only that it was one.
          details: { script: args[1]?.eval ? '[eval]' : String(script), threadId: this.threadId },
        });
        this.once('exit', () => handle.release());
      }
    }
    target.Worker = TrackedWorker;
    syncBuiltinESMExports();
    return () => {
      if (target.Worker === TrackedWorker) target.Worker = Original;
      syncBuiltinESMExports();
    };
  },
};

import childProcess, { type ChildProcess } from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';

import type { ResourceTracker } from '../resource-tracker.js';
import type { ResourceSignal } from './signal.interface.js';

const SPAWNERS = ['spawn', 'fork', 'exec', 'execFile'] as const;

/** Records a started child process until it exits (observed, not assumed) or fails to start. */
function track(tracker: ResourceTracker, child: ChildProcess, via: string): void {
  // The command name only: arguments may carry secrets.
  const command = String((child as ChildProcess & { spawnfile?: string }).spawnfile ?? via);
  const handle = tracker.registerObserved(child, {
    type: 'child-process',
    collectable: false,
    owner: tracker.currentOwner,
    details: { command, pid: child.pid ?? null, via },
  });
  const release = () => handle.release();
  child.once('exit', release);
  child.once('error', () => {
    // A process that never started emits 'error' and no 'exit'.
    if (child.pid === undefined) release();
  });
}

/**
 * Child processes from `child_process.spawn/fork/exec/execFile`, each released when it exits. Node
 * 20 has no diagnostics channel for them, so the module's functions are wrapped (and restored).
 */
export const childProcessSignal: ResourceSignal = {
  name: 'child-processes',
  start(tracker) {
    const target = childProcess as unknown as Record<string, (...args: unknown[]) => ChildProcess>;
    const originals = SPAWNERS.map((name) => [name, target[name]!] as const);
    const wrappers = new Map<string, unknown>();
    for (const [name, original] of originals) {
      const wrapper = function (this: unknown, ...args: unknown[]): ChildProcess {
        const child = original.apply(this, args);
        track(tracker, child, name);
        return child;
      };
      wrappers.set(name, wrapper);
      target[name] = wrapper;
    }
    syncBuiltinESMExports();
    return () => {
      for (const [name, original] of originals) if (target[name] === wrappers.get(name)) target[name] = original;
      syncBuiltinESMExports();
    };
  },
};

import type { ResourceTrackerConfig } from './resource-tracker.js';
import { childProcessSignal } from './signals/child-process.signal.js';
import { dgramSignal } from './signals/dgram.signal.js';
import { fileHandleSignal } from './signals/file-handle.signal.js';
import { fsWatcherSignal } from './signals/fs-watcher.signal.js';
import { immediateChainSignal } from './signals/immediate-chain.signal.js';
import { listenerGrowthSignal } from './signals/listener-growth.signal.js';
import type { ResourceSignal } from './signals/signal.interface.js';
import { socketSignal } from './signals/socket.signal.js';
import { timerSignal } from './signals/timer.signal.js';
import { workerSignal } from './signals/worker.signal.js';
import type { ResourceTrackerOptions } from './tracker.options.js';

/** The tracker the module builds from its options (the leak scenarios build the same one). */
export function trackerConfigFrom(options: ResourceTrackerOptions): ResourceTrackerConfig {
  const { learn } = options.leaks;
  return {
    defaultMaxLifetimeMs: options.leaks.maxLifetimeMs,
    limits: options.leaks.limits,
    learn: learn.enabled && {
      factor: learn.factor,
      minMs: learn.minMs,
      afterReleases: learn.afterReleases,
      // Age alone is a growth seen at one scan: the first resource past the limit.
      growthScans: learn.requireGrowth ? learn.growthScans : 1,
    },
    weakAfterMs: options.leaks.weakAfterMs,
    owner: options.owner,
    stackSampling: options.stacks.sampling,
    auditTrailSize: options.audit.size,
    types: options.types,
    keepCollectedLeaks: options.leaks.keepCollected,
  };
}

/** The signals the options turn on, in the order they start. */
export function signalsFrom(options: ResourceTrackerOptions): ResourceSignal[] {
  const { signals: on } = options;
  const signals: ResourceSignal[] = [];
  if (on.fileHandles) signals.push(fileHandleSignal);
  if (on.sockets) signals.push(socketSignal);
  if (on.childProcesses) signals.push(childProcessSignal);
  if (on.workers) signals.push(workerSignal);
  if (on.timersAboveMs > 0) signals.push(timerSignal(on.timersAboveMs));
  if (on.fsWatchers) signals.push(fsWatcherSignal);
  if (on.dgram) signals.push(dgramSignal);
  if (on.immediateChainHops > 0) signals.push(immediateChainSignal(on.immediateChainHops));
  if (on.listenersAbove > 0) signals.push(listenerGrowthSignal(on.listenersAbove));
  return signals;
}

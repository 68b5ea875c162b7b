import { syncBuiltinESMExports } from 'node:module';
import timers from 'node:timers';

import type { TrackedHandle } from '../tracked-record.js';
import type { ResourceSignal } from './signal.interface.js';

type SetImmediate = (this: unknown, callback: (...args: unknown[]) => void, ...args: unknown[]) => NodeJS.Immediate;
type ClearImmediate = (this: unknown, immediate: NodeJS.Immediate | undefined) => void;

/** One chain: immediates each scheduled by the previous one's callback. */
interface Chain {
  hops: number;
  readonly owner: string | undefined;
  handle?: TrackedHandle;
}

const CHAIN = Symbol('ballast.immediateChain');

/**
 * `setImmediate` loops: a callback that schedules the next immediate, forever, never lets the
 * event loop rest and holds the process open, yet no single immediate lives long. A chain is
 * recorded as `immediate-chain` once it has made `minHops` hops (short chains, as in a yielding
 * loop, are never recorded), owned by whoever scheduled its first immediate, and released when a
 * hop schedules no successor or the pending hop is cleared. Each `setImmediate` costs a closure.
 */
export function immediateChainSignal(minHops: number): ResourceSignal {
  return {
    name: 'immediate-chains',
    start(tracker) {
      /** The chain of the immediate whose callback is running, and whether it scheduled a successor. */
      let inImmediate = false;
      let current: Chain | undefined;
      let runningOwner: string | undefined;
      let scheduled = false;

      const wrapSet = (original: SetImmediate): SetImmediate =>
        function setImmediate(this: unknown, callback) {
          // eslint-disable-next-line prefer-rest-params -- the immediate's own arguments
          if (typeof callback !== 'function') return Reflect.apply(original, this, arguments) as NodeJS.Immediate;
          let chain: Chain | undefined;
          let owner: string | undefined;
          if (inImmediate) {
            chain = current ??= { hops: 0, owner: runningOwner };
            owner = chain.owner;
            chain.hops += 1;
            scheduled = true;
            if (chain.hops === minHops && !chain.handle) {
              chain.handle = tracker.register(chain, {
                type: 'immediate-chain',
                owner: chain.owner,
                collectable: false,
                details: { minHops },
              });
            }
          } else {
            owner = tracker.currentOwner;
          }
          const run = function (this: unknown, ...args: unknown[]) {
            const saved = { inImmediate, current, runningOwner, scheduled };
            inImmediate = true;
            current = chain;
            runningOwner = owner;
            scheduled = false;
            try {
              return callback.apply(this, args);
            } finally {
              if (!scheduled && chain?.handle) {
                chain.handle.release();
                chain.handle = undefined;
              }
              ({ inImmediate, current, runningOwner, scheduled } = saved);
            }
          };
          // eslint-disable-next-line prefer-rest-params -- the immediate's own arguments
          const rest = Array.prototype.slice.call(arguments, 1) as unknown[];
          const immediate = original.call(this, run, ...rest);
          if (chain?.handle) (immediate as NodeJS.Immediate & { [CHAIN]?: Chain })[CHAIN] = chain;
          return immediate;
        };
      const wrapClear = (original: ClearImmediate): ClearImmediate =>
        function clearImmediate(this: unknown, immediate) {
          const chain = (immediate as (NodeJS.Immediate & { [CHAIN]?: Chain }) | undefined)?.[CHAIN];
          if (chain?.handle) {
            chain.handle.release();
            chain.handle = undefined;
          }
          original.call(this, immediate);
        };

      const targets = [globalThis as unknown as Record<string, unknown>, timers as unknown as Record<string, unknown>];
      const installed: Array<{ target: Record<string, unknown>; key: string; fn: unknown; original: unknown }> = [];
      for (const target of targets) {
        const set = wrapSet(target.setImmediate as SetImmediate);
        const clear = wrapClear(target.clearImmediate as ClearImmediate);
        installed.push({ target, key: 'setImmediate', fn: set, original: target.setImmediate });
        installed.push({ target, key: 'clearImmediate', fn: clear, original: target.clearImmediate });
        target.setImmediate = set;
        target.clearImmediate = clear;
      }
      const stopFinding = tracker.addFinder((resource) =>
        typeof resource === 'object' && resource !== null
          ? (resource as { [CHAIN]?: Chain })[CHAIN]?.handle
          : undefined,
      );
      syncBuiltinESMExports();
      return () => {
        stopFinding();
        for (const { target, key, fn, original } of installed) if (target[key] === fn) target[key] = original;
        syncBuiltinESMExports();
      };
    },
  };
}

import { syncBuiltinESMExports } from 'node:module';
import timers from 'node:timers';

import type { TrackedHandle } from '../resource-tracker.js';
import type { ResourceSignal } from './signal.interface.js';

type TimerFunction = (callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => NodeJS.Timeout;
type ClearFunction = (timer: NodeJS.Timeout | string | number | undefined) => void;

/**
 * Timers at or above a delay (short ones are too many and too short-lived to matter): both on
 * `globalThis` and on `node:timers`. A timeout is released when it fires or is cleared; an
 * interval when it is cleared. Short timers cost one comparison.
 */
export function timerSignal(minDelayMs: number): ResourceSignal {
  return {
    name: 'timers',
    start(tracker) {
      const handles = new WeakMap<object, TrackedHandle>();
      const targets = [globalThis as unknown as Record<string, unknown>, timers as unknown as Record<string, unknown>];
      const saved = targets.map((target) => ({
        target,
        setTimeout: target.setTimeout as TimerFunction,
        setInterval: target.setInterval as TimerFunction,
        clearTimeout: target.clearTimeout as ClearFunction,
        clearInterval: target.clearInterval as ClearFunction,
      }));
      const installed: Array<{ target: Record<string, unknown>; key: string; fn: unknown; original: unknown }> = [];

      for (const original of saved) {
        const wrapSet = (key: 'setTimeout' | 'setInterval', type: 'timeout' | 'interval'): TimerFunction =>
          function (this: unknown, callback, ms) {
            if (typeof ms !== 'number' || ms < minDelayMs || typeof callback !== 'function') {
              // Most timers are short and pass straight through: no rest array, no spread.
              return arguments.length <= 2
                ? original[key].call(this, callback, ms)
                : // eslint-disable-next-line prefer-rest-params -- see above
                  Reflect.apply(original[key], this, arguments);
            }
            // eslint-disable-next-line prefer-rest-params -- the timer's own arguments, after ms
            const args = Array.prototype.slice.call(arguments, 2) as unknown[];
            const ref: { handle?: TrackedHandle } = {};
            const run =
              type === 'timeout'
                ? (...a: unknown[]) => {
                    ref.handle?.release();
                    callback(...a);
                  }
                : callback;
            const timer = original[key].call(this, run, ms, ...args);
            ref.handle = tracker.registerObserved(timer, { type, collectable: false, details: { delayMs: ms } });
            handles.set(timer, ref.handle);
            return timer;
          };
        const wrapClear = (key: 'clearTimeout' | 'clearInterval'): ClearFunction =>
          function (this: unknown, timer) {
            if (timer !== null && typeof timer === 'object') {
              handles.get(timer)?.release();
              handles.delete(timer);
            }
            original[key].call(this, timer);
          };
        const fns = {
          setTimeout: wrapSet('setTimeout', 'timeout'),
          setInterval: wrapSet('setInterval', 'interval'),
          clearTimeout: wrapClear('clearTimeout'),
          clearInterval: wrapClear('clearInterval'),
        };
        for (const [key, fn] of Object.entries(fns)) {
          installed.push({ target: original.target, key, fn, original: original[key as keyof typeof fns] });
          original.target[key] = fn;
        }
      }
      syncBuiltinESMExports();
      return () => {
        for (const { target, key, fn, original } of installed) if (target[key] === fn) target[key] = original;
        syncBuiltinESMExports();
      };
    },
  };
}

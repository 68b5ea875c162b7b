import { syncBuiltinESMExports } from 'node:module';
import timers from 'node:timers';

import type { TrackedHandle } from '../resource-tracker.js';
import type { ResourceSignal } from './signal.interface.js';

type TimerFunction = (callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => NodeJS.Timeout;
type ClearFunction = (timer: NodeJS.Timeout | string | number | undefined) => void;

type TimeoutPrototype = Record<string | symbol, ((this: NodeJS.Timeout, ...args: unknown[]) => unknown) | undefined>;

/**
 * Timers at or above a delay (short ones are too many and too short-lived to matter): both on
 * `globalThis` and on `node:timers`. A timeout is released when it fires or is cleared; an
 * interval when it is cleared: by `clear*(timer)`, `clear*(numericId)` (the id from
 * `+timer`/`timer[Symbol.toPrimitive]()`), `timer.close()` or `timer[Symbol.dispose]()` (the last
 * two call Node's internal clear, so the `Timeout` class's own methods are wrapped). Short timers
 * cost one comparison.
 */
export function timerSignal(minDelayMs: number): ResourceSignal {
  return {
    name: 'timers',
    start(tracker) {
      const handles = new WeakMap<object, TrackedHandle>();
      // Tracked timers whose numeric id was read: `clearTimeout(id)` must find them.
      const byId = new Map<number, NodeJS.Timeout>();
      const releaseTimer = (timer: NodeJS.Timeout): void => {
        const handle = handles.get(timer);
        if (!handle) return;
        handles.delete(timer);
        handle.release();
        if (byId.size) byId.delete(idOf.get(timer) ?? Number.NaN);
      };
      const idOf = new WeakMap<object, number>();
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
            const run =
              type === 'timeout'
                ? (...a: unknown[]) => {
                    releaseTimer(timer);
                    callback(...a);
                  }
                : callback;
            const timer: NodeJS.Timeout = original[key].call(this, run, ms, ...args);
            handles.set(timer, tracker.registerObserved(timer, { type, collectable: false, details: { delayMs: ms } }));
            return timer;
          };
        const wrapClear = (key: 'clearTimeout' | 'clearInterval'): ClearFunction =>
          function (this: unknown, timer) {
            if (timer !== null && typeof timer === 'object') releaseTimer(timer);
            else if (byId.size && timer !== undefined) {
              const byNumber = byId.get(Number(timer));
              if (byNumber) releaseTimer(byNumber);
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
      // The Timeout class itself: close(), [Symbol.dispose]() and the numeric id.
      const probe = saved[0]!.setTimeout(() => undefined, 1);
      saved[0]!.clearTimeout(probe);
      const prototype = Object.getPrototypeOf(probe) as TimeoutPrototype;
      const methods: Array<[string | symbol, TimeoutPrototype[string]]> = [];
      const wrapMethod = (
        key: string | symbol,
        wrap: (original: NonNullable<TimeoutPrototype[string]>) => TimeoutPrototype[string],
      ) => {
        const original = prototype[key];
        if (typeof original !== 'function') return;
        const fn = wrap(original);
        prototype[key] = fn;
        methods.push([key, fn]);
        installed.push({ target: prototype as Record<string, unknown>, key: key as string, fn, original });
      };
      const releasing = (original: NonNullable<TimeoutPrototype[string]>) =>
        function (this: NodeJS.Timeout) {
          releaseTimer(this);
          // eslint-disable-next-line prefer-rest-params -- passed on untouched
          return Reflect.apply(original, this, arguments);
        };
      wrapMethod('close', releasing);
      if (Symbol.dispose) wrapMethod(Symbol.dispose, releasing);
      wrapMethod(
        Symbol.toPrimitive,
        (original) =>
          function (this: NodeJS.Timeout) {
            // eslint-disable-next-line prefer-rest-params -- passed on untouched
            const id = Reflect.apply(original, this, arguments) as number;
            if (handles.has(this)) {
              byId.set(id, this);
              idOf.set(this, id);
            }
            return id;
          },
      );
      // A timer object is found through the tracker's own index (registerObserved); its id here.
      const stopFinding = tracker.addFinder((resource) => {
        const timer = typeof resource === 'number' ? byId.get(resource) : undefined;
        return timer && handles.get(timer);
      });
      syncBuiltinESMExports();
      return () => {
        stopFinding();
        for (const { target, key, fn, original } of installed) if (target[key] === fn) target[key] = original;
        byId.clear();
        syncBuiltinESMExports();
      };
    },
  };
}

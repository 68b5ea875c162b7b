import { EventEmitter } from 'node:events';

import type { TrackedHandle } from '../tracked-record.js';
import type { ResourceSignal } from './signal.interface.js';

type Listener = (...args: unknown[]) => void;
type AddListener = (this: EventEmitter, event: string | symbol, listener: Listener) => EventEmitter;
type RemoveListener = AddListener;
type RemoveAll = (this: EventEmitter, ...args: [] | [string | symbol]) => EventEmitter;
/** What Node keeps an emitter's listeners in: one function, or an array once there are two. */
type Events = Record<string | symbol, Listener | Listener[] | undefined>;
type Watched = EventEmitter & { _events?: Events; [RECORDS]?: Map<string | symbol, TrackedHandle> };

const RECORDS = Symbol('ballast.listenerGrowth');

function countOf(emitter: Watched, event: string | symbol): number {
  const list = emitter._events?.[event];
  return list === undefined ? 0 : typeof list === 'function' ? 1 : list.length;
}

/**
 * EventEmitter listener growth: `process.on('x', ...)` per request, a listener added to a shared
 * client per call. When one emitter's listeners for one event reach `above`, a `listeners` record
 * is made (owned by whoever added that listener, details: event, emitter class, count, updated at
 * each doubling) and judged by age like any resource; it is released when the count falls below
 * half of `above` again, or the emitter is collected. Adding a listener costs one lookup of the
 * event's list; removing one costs a property read unless the emitter is recorded.
 */
export function listenerGrowthSignal(above: number): ResourceSignal {
  return {
    name: 'listener-growth',
    start(tracker) {
      const prototype = EventEmitter.prototype as unknown as Record<string, unknown>;
      const original = {
        on: prototype.on as AddListener,
        addListener: prototype.addListener as AddListener,
        prependListener: prototype.prependListener as AddListener,
        removeListener: prototype.removeListener as RemoveListener,
        off: prototype.off as RemoveListener,
        removeAllListeners: prototype.removeAllListeners as RemoveAll,
      };
      // An emitter collected with a record: its records go, unreported (the listeners went with it).
      const collected = new FinalizationRegistry<Map<string | symbol, TrackedHandle>>((records) => {
        for (const handle of records.values()) handle.release();
      });

      const grew = (emitter: Watched, event: string | symbol, count: number): void => {
        let records = emitter[RECORDS];
        if (!records) {
          records = new Map();
          Object.defineProperty(emitter, RECORDS, { value: records, enumerable: false, configurable: true });
          collected.register(emitter, records);
        }
        const handle = records.get(event);
        if (!handle) {
          const details = { event: String(event), emitter: emitter.constructor?.name ?? 'EventEmitter', count };
          records.set(event, tracker.register({ event }, { type: 'listeners', collectable: false, details }));
        } else if ((count & (count - 1)) === 0) {
          handle.annotate({ count });
        }
      };
      const shrank = (emitter: Watched, event?: string | symbol): void => {
        const records = emitter[RECORDS]!;
        for (const [recorded, handle] of records) {
          if (event !== undefined && recorded !== event) continue;
          if (countOf(emitter, recorded) * 2 < above) {
            handle.release();
            records.delete(recorded);
          }
        }
      };

      const wrapAdd = (add: AddListener): AddListener =>
        function addListener(this: Watched, event, listener) {
          const result = add.call(this, event, listener);
          const list = this._events?.[event];
          if (list !== undefined && typeof list !== 'function' && list.length >= above) grew(this, event, list.length);
          return result;
        };
      const wrapRemove = (remove: RemoveListener): RemoveListener =>
        function removeListener(this: Watched, event, listener) {
          const result = remove.call(this, event, listener);
          if (this[RECORDS] !== undefined) shrank(this, event);
          return result;
        };
      const removeAllListeners: RemoveAll = function removeAllListeners(
        this: Watched,
        ...args: [] | [string | symbol]
      ) {
        // Its arity tells "all events" from "this event": passed on as given.
        const result = original.removeAllListeners.apply(this, args);
        if (this[RECORDS] !== undefined) shrank(this, args.length === 0 ? undefined : args[0]);
        return result;
      };
      const on = wrapAdd(original.on);
      const fns: Record<keyof typeof original, unknown> = {
        on,
        // One function under both names, as in Node.
        addListener: original.addListener === original.on ? on : wrapAdd(original.addListener),
        prependListener: wrapAdd(original.prependListener),
        removeListener: wrapRemove(original.removeListener),
        off: original.off === original.removeListener ? undefined : wrapRemove(original.off),
        removeAllListeners,
      };
      fns.off ??= fns.removeListener;
      for (const [key, fn] of Object.entries(fns)) prototype[key] = fn;
      const stopFinding = tracker.addFinder((resource) =>
        typeof resource === 'object' && resource !== null
          ? (resource as Watched)[RECORDS]?.values().next().value
          : undefined,
      );
      return () => {
        stopFinding();
        for (const [key, fn] of Object.entries(fns)) {
          if (prototype[key] === fn) prototype[key] = original[key as keyof typeof original];
        }
      };
    },
  };
}

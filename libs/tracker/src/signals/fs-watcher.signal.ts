import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

import type { ResourceSignal } from './signal.interface.js';

type Watch = typeof fs.watch;
type WatchFile = (...args: unknown[]) => fs.StatWatcher;
type PromisesWatch = (...args: unknown[]) => AsyncIterator<unknown> & AsyncIterable<unknown>;

/**
 * File watchers, which hold an inotify watch (or a stat poll) and keep the process alive:
 * - `fs.watch` -> `fs-watcher`, released on the watcher's 'close';
 * - `fs.watchFile` -> `stat-watcher`, one per file as Node keeps one, released on its 'stop'
 *   (`fs.unwatchFile` of its last listener);
 * - `fs.promises.watch` -> `fs-watch-iterator`, recorded at its first `next()` (the generator
 *   opens nothing before) and released when it ends, throws, is returned from or its signal aborts.
 * Node has no diagnostics channel for them: the module's functions are wrapped (and restored).
 */
export const fsWatcherSignal: ResourceSignal = {
  name: 'fs-watchers',
  start(tracker) {
    const target = fs as unknown as { watch: Watch; watchFile: WatchFile };
    const promises = fs.promises as unknown as { watch: PromisesWatch };
    const original = { watch: target.watch, watchFile: target.watchFile, promisesWatch: promises.watch };

    const watch = function watch(this: unknown, ...args: Parameters<Watch>) {
      const watcher = original.watch.apply(this, args);
      const handle = tracker.registerObserved(watcher, {
        type: 'fs-watcher',
        collectable: false,
        details: { path: String(args[0]) },
      });
      watcher.once('close', () => handle.release());
      return watcher;
    } as Watch;

    const watchFile = function watchFile(this: unknown, ...args: unknown[]) {
      const watcher = original.watchFile.apply(this, args);
      // Node keeps one StatWatcher per file: a second watchFile adds a listener to it.
      if (!tracker.find(watcher)) {
        const handle = tracker.registerObserved(watcher, {
          type: 'stat-watcher',
          collectable: false,
          details: { path: String(args[0]) },
        });
        watcher.once('stop', () => handle.release());
      }
      return watcher;
    };

    const promisesWatch = function watch(this: unknown, ...args: unknown[]) {
      const iterator = original.promisesWatch.apply(this, args);
      const owner = tracker.currentOwner;
      const next = iterator.next.bind(iterator);
      let handle: ReturnType<typeof tracker.register> | undefined;
      let ended = false;
      const end = () => {
        ended = true;
        handle?.release();
      };
      const settle = (result: Promise<IteratorResult<unknown>>) =>
        result.then(
          (step) => {
            if (step.done) end();
            return step;
          },
          (error: unknown) => {
            end();
            throw error;
          },
        );
      iterator.next = (...nextArgs: [] | [unknown]) => {
        if (!handle && !ended) {
          handle = tracker.registerObserved(iterator, {
            type: 'fs-watch-iterator',
            owner,
            collectable: false,
            details: { path: String(args[0]) },
          });
        }
        return settle(next(...nextArgs));
      };
      // An abort closes the watch; Node 20 may leave a pending next() unsettled, so it ends here.
      const signal = (args[1] as { signal?: AbortSignal } | undefined)?.signal;
      signal?.addEventListener('abort', end, { once: true });
      for (const key of ['return', 'throw'] as const) {
        const method = iterator[key]?.bind(iterator);
        if (method) iterator[key] = (value?: unknown) => settle(method(value)).finally(end);
      }
      return iterator;
    };

    target.watch = watch;
    target.watchFile = watchFile;
    promises.watch = promisesWatch;
    syncBuiltinESMExports();
    return () => {
      if (target.watch === watch) target.watch = original.watch;
      if (target.watchFile === watchFile) target.watchFile = original.watchFile;
      if (promises.watch === promisesWatch) promises.watch = original.promisesWatch;
      syncBuiltinESMExports();
    };
  },
};

import fs, { type Mode, type OpenMode, type PathLike } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

import type { TrackedHandle } from '../resource-tracker.js';
import { FileHandleCloseHook } from './file-handle-close.hook.js';
import type { ResourceSignal } from './signal.interface.js';

type PromisesOpen = typeof fs.promises.open;
type OpenSync = typeof fs.openSync;
type CloseSync = typeof fs.closeSync;
type Close = typeof fs.close;
type Open = typeof fs.open;

/**
 * Node 20 has no diagnostics channel for files, so this wraps `fs.promises.open` (FileHandles,
 * released when their close is called) and `fs.open/openSync` with `fs.close/closeSync` (raw fds,
 * released by number). `syncBuiltinESMExports` makes the wrappers visible to
 * `import { open } from 'node:fs/promises'` too.
 */
export const fileHandleSignal: ResourceSignal = {
  name: 'file-handles',
  start(tracker) {
    const original = {
      promisesOpen: fs.promises.open,
      openSync: fs.openSync,
      open: fs.open,
      closeSync: fs.closeSync,
      close: fs.close,
    };
    // A raw fd is a number: the token stands for it and is held here until close, so raw fds are
    // found by age, never (falsely) as collected.
    const rawFds = new Map<number, { token: object; handle: TrackedHandle }>();
    const trackFd = (fd: number, path: unknown, owner = tracker.currentOwner): void => {
      rawFds.get(fd)?.handle.release();
      const token = { fd };
      rawFds.set(fd, {
        token,
        handle: tracker.register(token, { type: 'fd', owner, collectable: false, details: { fd, path: String(path) } }),
      });
    };
    const releaseFd = (fd: unknown): void => {
      if (typeof fd !== 'number') return;
      rawFds.get(fd)?.handle.release();
      rawFds.delete(fd);
    };

    const closeHook = new FileHandleCloseHook(() => (tracker.openCounts().get('file-handle') ?? 0) > 0);
    const promisesOpen = function open(this: unknown, path: PathLike, flags?: OpenMode, mode?: Mode) {
      const owner = tracker.currentOwner;
      return original.promisesOpen.call(this, path, flags, mode).then((handle) => {
        closeHook.watch(
          handle,
          tracker.register(handle, { type: 'file-handle', owner, details: { path: String(path) } }),
        );
        return handle;
      });
    } as PromisesOpen;
    const openSync: OpenSync = function openSync(this: unknown, ...args: Parameters<OpenSync>) {
      const fd = original.openSync.apply(this, args);
      trackFd(fd, args[0]);
      return fd;
    };
    const open = function open(this: unknown, ...args: unknown[]) {
      const callback = args[args.length - 1];
      if (typeof callback === 'function') {
        // The owner of the call, not of whatever runs when the callback comes.
        const owner = tracker.currentOwner;
        args[args.length - 1] = (error: unknown, fd: number) => {
          if (!error) trackFd(fd, args[0], owner);
          (callback as (error: unknown, fd: number) => void)(error, fd);
        };
      }
      return (original.open as (...a: unknown[]) => void).apply(this, args);
    } as Open;
    const closeSync: CloseSync = function closeSync(this: unknown, fd) {
      original.closeSync.call(this, fd);
      releaseFd(fd);
    };
    const close = function close(this: unknown, fd: number, ...rest: unknown[]) {
      releaseFd(fd);
      return (original.close as (...a: unknown[]) => void).call(this, fd, ...rest);
    } as Close;

    const stopFinding = tracker.addFinder((resource) =>
      typeof resource === 'number' ? rawFds.get(resource)?.handle : closeHook.find(resource),
    );
    fs.promises.open = promisesOpen;
    fs.openSync = openSync;
    fs.open = open;
    fs.closeSync = closeSync;
    fs.close = close;
    syncBuiltinESMExports();
    return () => {
      // Only undo what is still ours: another tool may have wrapped on top since.
      if (fs.promises.open === promisesOpen) fs.promises.open = original.promisesOpen;
      if (fs.openSync === openSync) fs.openSync = original.openSync;
      if (fs.open === open) fs.open = original.open;
      if (fs.closeSync === closeSync) fs.closeSync = original.closeSync;
      if (fs.close === close) fs.close = original.close;
      syncBuiltinESMExports();
      stopFinding();
      closeHook.unhook();
      rawFds.clear();
    };
  },
};

import { NoopResourceRegistry, type ResourceHandle, type ResourceRegistry } from '@ballast/core';

import { ASYNC_DISPOSE, DISPOSE } from './dispose-symbols.js';
import type { TrackOptions } from './interfaces/tracked-resource.interface.js';

/** Closes a resource; may be async (a FileHandle, a pg client). */
export type Closer<T> = (resource: T) => unknown;

export interface TrackedOptions<T> extends TrackOptions {
  /** How to close it; by default its own `[Symbol.asyncDispose]`, `[Symbol.dispose]`, `close`, `end` or `destroy`. */
  readonly close?: Closer<T>;
  /** Where to register; the installed tracker (or a no-op) by default. */
  readonly registry?: ResourceRegistry;
}

/** A resource and its tracking, released together by `using` / `await using` or `close()`. */
export interface Tracked<T> extends Disposable, AsyncDisposable {
  readonly value: T;
  readonly id: string;
  close(): Promise<void>;
}

let active: ResourceRegistry = new NoopResourceRegistry();

/** The registry `tracked()` uses when none is given; `ResourceTrackerModule` sets it while the app runs. */
export function setActiveRegistry(registry: ResourceRegistry | undefined): void {
  active = registry ?? new NoopResourceRegistry();
}

export function activeRegistry(): ResourceRegistry {
  return active;
}

type Closable = {
  [Symbol.asyncDispose]?: () => PromiseLike<void>;
  [Symbol.dispose]?: () => void;
  close?: () => unknown;
  end?: () => unknown;
  destroy?: () => unknown;
};

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}

export function defaultCloser(resource: unknown): unknown {
  const r = resource as Closable;
  if (typeof r[ASYNC_DISPOSE] === 'function') return r[ASYNC_DISPOSE]();
  if (typeof r[DISPOSE] === 'function') return r[DISPOSE]();
  if (typeof r.close === 'function') return r.close();
  if (typeof r.end === 'function') return r.end();
  if (typeof r.destroy === 'function') return r.destroy();
  throw new TypeError('tracked(): give a close function, the resource has no close/end/destroy/dispose method');
}

/** One promise for every synchronous close: nothing to wait for, nothing to allocate. */
const CLOSED: Promise<void> = Promise.resolve();

/** A prototype's methods rather than closures per call: `tracked()` can sit on a per-request path. */
class TrackedResource<T> implements Tracked<T> {
  private closing: Promise<void> | undefined = undefined;

  constructor(
    readonly value: T,
    private readonly handle: ResourceHandle,
    private readonly closer: Closer<T>,
  ) {}

  get id(): string {
    return this.handle.id;
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    let result: unknown;
    try {
      result = this.closer(this.value);
    } catch (error) {
      this.handle.release();
      return (this.closing = Promise.reject(error));
    }
    if (!isThenable(result)) {
      this.handle.release();
      return (this.closing = CLOSED);
    }
    return (this.closing = Promise.resolve(result).then(
      () => this.handle.release(),
      (error: unknown) => {
        this.handle.release();
        throw error;
      },
    ));
  }

  [ASYNC_DISPOSE](): Promise<void> {
    return this.close();
  }

  [DISPOSE](): void {
    // A sync `using` cannot wait: a failure of an async close still surfaces as unhandled.
    void this.close();
  }
}

/**
 * Registers `resource` and returns it wrapped so that leaving a `using` block closes it and marks
 * it released. Dropping the resource unclosed is reported as collected-without-close once the GC
 * has collected it.
 *
 * @example
 * await using file = tracked(await open(path), { type: 'file-handle', owner: 'ImportService' });
 * await file.value.read(buffer);
 */
export function tracked<T extends object>(resource: T, options: TrackedOptions<T>): Tracked<T> {
  // The options go to register() as they are: it reads only what it knows, and a rest copy per call
  // was a measurable part of tracking a request-scoped object.
  const handle = (options.registry ?? active).register(resource, options);
  return new TrackedResource(resource, handle, options.close ?? defaultCloser);
}

/**
 * Several resources that live and die together: released in reverse order of acquisition, and if
 * one acquisition fails, the ones already acquired are closed before the error is rethrown.
 *
 * @example
 * await using scope = new ResourceScope({ owner: 'ReportJob' });
 * const db = await scope.acquire(() => pool.connect(), { type: 'db-connection', close: (c) => c.release() });
 * const out = await scope.acquire(() => open(path, 'w'), { type: 'file-handle' });
 */
export class ResourceScope implements AsyncDisposable {
  private readonly held: Array<Tracked<object>> = [];
  private closed = false;

  constructor(private readonly defaults: { owner?: string; registry?: ResourceRegistry } = {}) {}

  get size(): number {
    return this.held.length;
  }

  async acquire<T extends object>(
    open: () => T | Promise<T>,
    options: Omit<TrackedOptions<T>, 'registry'>,
  ): Promise<T> {
    if (this.closed) throw new Error('ResourceScope is closed');
    let resource: T;
    try {
      resource = await open();
    } catch (error) {
      await this.close().catch(() => undefined);
      throw error;
    }
    const entry = tracked(resource, {
      owner: this.defaults.owner,
      registry: this.defaults.registry ?? active,
      ...options,
    });
    this.held.push(entry as unknown as Tracked<object>);
    return resource;
  }

  /** Closes everything, last acquired first; every close is attempted, the first error rethrown. */
  async close(): Promise<void> {
    this.closed = true;
    const errors: unknown[] = [];
    while (this.held.length > 0) {
      const entry = this.held.pop()!;
      await entry.close().catch((error: unknown) => errors.push(error));
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} resources failed to close`);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

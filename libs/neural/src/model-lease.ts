import './dispose.polyfill.js';

/**
 * The right to use a loaded model until `release()`. While any lease on a model is held the cache
 * does not dispose it, so a holder never sees a released session. Works with `await using`:
 *
 *   await using lease = await cache.getOrLoad('ranker');
 *   const out = await lease.model.run(feeds);
 */
export class ModelLease<M> implements Disposable, AsyncDisposable {
  private released = false;
  readonly acquiredAt = Date.now();

  constructor(
    readonly name: string,
    readonly device: string,
    readonly model: M,
    private readonly onRelease: (lease: ModelLease<M>) => void,
    /** Where the lease was taken, when `captureLeaseStacks` is on. */
    readonly stack?: string,
  ) {}

  get isReleased(): boolean {
    return this.released;
  }

  /** Gives the model back; calling it again does nothing. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.onRelease(this);
  }

  [Symbol.dispose](): void {
    this.release();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.release();
  }
}

import { EventEmitter } from 'node:events';

/**
 * The one timer that rotates the statistics buckets of every opossum engine (opossum's
 * `rotateBucketController`), instead of an interval per breaker. It runs only while some breaker
 * listens, is unref'd, and stops when the last breaker shuts down or the module closes.
 */
export class RotationClock extends EventEmitter {
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly periodMs: number) {
    super();
    // One listener per breaker: thousands of per-key breakers are expected, not a leak.
    this.setMaxListeners(0);
    this.on('newListener', (event: string | symbol) => {
      if (event === 'rotate' && this.timer === undefined) this.start();
    });
    this.on('removeListener', (event: string | symbol) => {
      if (event === 'rotate' && this.listenerCount('rotate') === 0) this.stop();
    });
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private start(): void {
    this.timer = setInterval(() => this.emit('rotate'), this.periodMs);
    this.timer.unref();
  }
}

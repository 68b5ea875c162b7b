import type { ResourceTracker } from '../resource-tracker.js';

/** A source of tracked resources; `start` returns the function that undoes everything it did. */
export interface ResourceSignal {
  readonly name: string;
  start(tracker: ResourceTracker): () => void;
}

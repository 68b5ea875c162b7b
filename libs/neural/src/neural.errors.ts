import { BallastError } from '@ballast/core';

export class ModelLoadError extends BallastError {}

/** The model alone is larger than the cache's byte bound, or pinned models leave no room. */
export class ModelCapacityError extends BallastError {}

export class ModelLoadTimeoutError extends BallastError {}

/** The cache is closing or closed. */
export class ModelCacheClosedError extends BallastError {}

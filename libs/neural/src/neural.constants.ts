/** Validated `NeuralOptions`. */
export const NEURAL_OPTIONS = Symbol('ballast:neural-options');
/** The `ResultCache`, or null when `resultCache.enabled` is false. */
export const RESULT_CACHE = Symbol('ballast:neural-result-cache');
/** Name of the cleanup interval in `SchedulerRegistry`. */
export const NEURAL_CLEANUP_JOB = 'ballast-neural-cleanup';

/** Validated `MemoryOptions` with defaults filled in. */
export const MEMORY_OPTIONS = Symbol('ballast:memory-options');
/** Route metadata of `@MemoryShedding()`. */
export const MEMORY_SHEDDING_METADATA = 'ballast:memory-shedding';

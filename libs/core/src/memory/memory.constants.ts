/**
 * The app's memory governor (`MemoryGovernorRef`), provided by `MemoryModule` from `@ballast/memory`
 * and by nothing else: caches and model caches inject it `@Optional()` and take part only when it
 * is there, so an app without the governor pays nothing. A registered symbol, like `HTTP_MEANING`,
 * so an app that ends up with two copies of core still matches.
 */
export const MEMORY_GOVERNOR = Symbol.for('@ballast/core.memoryGovernor');

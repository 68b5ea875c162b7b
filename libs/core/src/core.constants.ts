/** The one prom-client `Registry` of the app; inject with `@InjectMetricsRegistry()`. */
export const METRICS_REGISTRY = Symbol('ballast:metrics-registry');
/** Validated `BallastCoreOptions` with defaults filled in. */
export const BALLAST_CORE_OPTIONS = Symbol('ballast:core-options');
/** The app's `ResourceRegistry`: a no-op unless the tracker module provides the real one. */
export const RESOURCE_REGISTRY = Symbol('ballast:resource-registry');
/** Where the performance API is mounted; other modules put their performance routes under it too. */
export const PERFORMANCE_API_PATH = 'api/performance';

/** Validated `ResourceTrackerOptions` with defaults filled in. */
export const RESOURCE_TRACKER_OPTIONS = Symbol('ballast:resource-tracker-options');
/** The app's `ResourceTracker` (also installed behind core's `RESOURCE_REGISTRY`). */
export const RESOURCE_TRACKER = Symbol('ballast:resource-tracker');

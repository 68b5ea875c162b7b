/** Validated `ResilienceOptions` with defaults filled in. */
export const RESILIENCE_OPTIONS = Symbol('ballast:resilience-options');

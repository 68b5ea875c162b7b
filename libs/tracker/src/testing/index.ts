// @ballast/tracker/testing: helpers for tests, not part of the runtime entry.
export {
  expectNoLeakedResources,
  LeakedResourcesError,
  type NoLeakedResourcesOptions,
} from './expect-no-leaked-resources.js';

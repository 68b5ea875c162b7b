// @ballast/pool/testing: helpers for tests, not part of the runtime entry.
export { fakeStats } from './fake-stats.js';

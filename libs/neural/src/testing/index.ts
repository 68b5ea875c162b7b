// @ballast/neural/testing: helpers for tests, not part of the runtime entry.
export { FakeModelLoader, type FakeModel } from './fake-model.loader.js';

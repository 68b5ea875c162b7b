export {
  expectNoNewHandles,
  expectNoOpenHandlesAfter,
  OpenHandlesError,
  snapshotHandles,
  type HandleSnapshot,
  type NoNewHandlesOptions,
} from './open-handles.js';

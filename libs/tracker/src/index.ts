import './dispose-symbols.js';

export { ResourceTrackerModule } from './tracker.module.js';
export { ResourceTrackerService } from './resource-tracker.service.js';
export { ResourceOwnerInterceptor } from './resource-owner.interceptor.js';
export { RESOURCE_TRACKER, RESOURCE_TRACKER_OPTIONS } from './tracker.constants.js';
export { signalsFrom, trackerConfigFrom } from './tracker-config.js';
export { trackerOptions, type ResourceTrackerModuleOptions, type ResourceTrackerOptions } from './tracker.options.js';

export {
  ResourceTracker,
  formatDuration,
  type LeakListener,
  type OwnerSource,
  type RecordFinder,
  type ResourceTrackerConfig,
  type TrackedHandle,
} from './resource-tracker.js';
export type {
  AuditEvent,
  AuditEventKind,
  AuditQuery,
  LeakRetraction,
  LifetimeLimit,
  ResourceState,
  ScanResult,
  StackSampling,
  TrackedResourceView,
  TrackOptions,
} from './interfaces/tracked-resource.interface.js';
export { AuditTrail } from './audit-trail.js';
export { DEFAULT_LEARNING, LearnedLifetimes, type LearnConfig, type Lifetimes } from './learned-lifetimes.js';
export { summarizeLeaks, type LeakSummary } from './leak-summary.js';
export { captureCreationStack, creationSite } from './creation-stack.js';
export {
  ResourceScope,
  activeRegistry,
  setActiveRegistry,
  tracked,
  type Closer,
  type Tracked,
  type TrackedOptions,
} from './tracked.js';

export { DependencyCycleError, DependencyGraph } from './dependency-graph.js';
export {
  CountHistory,
  DEFAULT_FORECAST,
  forecastExhaustion,
  type CountSample,
  type Forecast,
  type ForecastConfig,
} from './exhaustion-forecast.js';
export { ExhaustionForecaster } from './exhaustion-forecaster.js';

export { AsyncResourceRecorder } from './signals/async-hook.recorder.js';
export { childProcessSignal } from './signals/child-process.signal.js';
export { dgramSignal } from './signals/dgram.signal.js';
export { fileHandleSignal } from './signals/file-handle.signal.js';
export { fsWatcherSignal } from './signals/fs-watcher.signal.js';
export { immediateChainSignal } from './signals/immediate-chain.signal.js';
export { listenerGrowthSignal } from './signals/listener-growth.signal.js';
export { socketSignal } from './signals/socket.signal.js';
export { timerSignal } from './signals/timer.signal.js';
export { workerSignal } from './signals/worker.signal.js';
export type { ResourceSignal } from './signals/signal.interface.js';
export {
  countOpenFds,
  heapLimitBytes,
  openFileLimit,
  sampleProcessResources,
  type ProcessResourceSample,
} from './signals/process-poller.js';

export { ResilienceModule } from './resilience.module.js';
export { RESILIENCE_OPTIONS } from './resilience.constants.js';
export {
  resilienceOptions,
  type ResilienceModuleOptions,
  type ResilienceOptions,
  type ResilienceProfile,
} from './resilience.options.js';
export {
  ResilienceRuntime,
  type BulkheadRequest,
  type RetryRequest,
  type TimeoutRequest,
} from './resilience.runtime.js';
export { ResilienceHealthIndicator } from './resilience.health-indicator.js';
export { breakersHealth } from './resilience.health.js';
export { resilienceReport } from './resilience.reporter.js';
export {
  ResilienceEvents,
  type BreakerStateEvent,
  type BulkheadRejectedEvent,
  type DeadLetterEvent,
  type FallbackEvent,
  type ResilienceEventMap,
  type RetryEvent,
  type RetryExhaustedEvent,
  type RetryRefusal,
  type TimeoutEvent,
  type TransitionReason,
} from './resilience.events.js';

export type { CallContext, Protected } from './interfaces/call-context.interface.js';

export { Breaker, type BreakerExecuteOptions, type BreakerSnapshot } from './breaker/breaker.js';
export {
  BreakerRegistry,
  type BreakerConfigResolver,
  type BreakerRequest,
  type KeyedBreakerRequest,
} from './breaker/breaker.registry.js';
export { KeyedBreakers } from './breaker/keyed-breakers.js';
export {
  type BreakerClassification,
  type BreakerConfig,
  type BreakerOptions,
  type HealthImpact,
} from './breaker/breaker.options.js';
export { BreakerStats, DURATION_BUCKETS_SECONDS } from './breaker/breaker.stats.js';

export { RetryPolicy, RetryStats, type RetryDecision, type RetryLogger } from './retry/retry.policy.js';
export { backoffDelay } from './retry/backoff.js';
export type { BackoffKind, RetryConfig, RetryOptions } from './retry/retry.options.js';
export { TimeoutPolicy, TimeoutStats } from './timeout/timeout.policy.js';
export type { TimeoutConfig, TimeoutOptions } from './timeout/timeout.options.js';
export { TimerWheel } from './timeout/timer-wheel.js';
export { BulkheadPolicy, BulkheadStats } from './bulkhead/bulkhead.policy.js';
export type { BulkheadConfig, BulkheadOptions } from './bulkhead/bulkhead.options.js';
export { FallbackPolicy, FallbackStats } from './fallback/fallback.policy.js';

export {
  DeadLetterQueue,
  DeadLetterQueueStats,
  DeadLetterService,
  type ReplayHandler,
  type ReplayOptions,
  type ReplayResult,
} from './dead-letter/dead-letter.service.js';
export type {
  DeadLetterErrorInfo,
  DeadLetterRecord,
  DeadLetterStore,
  NewDeadLetter,
  PurgeOptions,
} from './dead-letter/dead-letter.interfaces.js';
export { MemoryDeadLetterStore } from './dead-letter/stores/memory-dead-letter.store.js';
export { PostgresDeadLetterStore } from './dead-letter/stores/postgres-dead-letter.store.js';
export type { DeadLetterDataSource, DeadLetterQueryRunner } from './dead-letter/dead-letter-data-source.interface.js';
export { RedisDeadLetterStore } from './dead-letter/stores/redis-dead-letter.store.js';

export {
  OPERATOR_STATE_REQUESTS,
  type OperatorState,
  type OperatorStateRequest,
} from './operator-api/operator-state.js';
export type { BreakerView } from './operator-api/breaker.view.js';

export { SharedBreakerState, type SharedStateMessage } from './shared-state/shared-breaker-state.js';

export { CircuitBreaker, type CircuitBreakerDecoratorOptions } from './decorators/circuit-breaker.decorator.js';
export { Retry, type RetryDecoratorOptions } from './decorators/retry.decorator.js';
export { Timeout, type TimeoutDecoratorOptions } from './decorators/timeout.decorator.js';
export { Bulkhead, type BulkheadDecoratorOptions } from './decorators/bulkhead.decorator.js';
export { Fallback, type FallbackDecoratorOptions } from './decorators/fallback.decorator.js';
export { DeadLetter, type DeadLetterDecoratorOptions } from './decorators/dead-letter.decorator.js';
export { CallSignal } from './decorators/call-signal.decorator.js';
export { ResilienceHolder } from './decorators/resilience.holder.js';

export {
  BreakerOpenError,
  BulkheadRejectedError,
  RetryResultError,
  TimeoutError,
  type BreakerStateName,
  type BulkheadRejectionReason,
} from './errors/resilience.errors.js';
export {
  codeOf,
  isAbortError,
  isAuthError,
  isClientError,
  isNetworkError,
  isRetryableHttpError,
  isTimeoutError,
  isValidationError,
  NETWORK_ERROR_CODES,
  retryAfterMsOf,
  statusOf,
  type ErrorClass,
  type ErrorMatcher,
  type ErrorPredicate,
} from './errors/error-matchers.js';

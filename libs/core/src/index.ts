export * from './core.constants.js';
export { BallastCoreModule } from './core.module.js';
export { coreOptions, type BallastCoreModuleOptions, type BallastCoreOptions } from './core.options.js';

export { BallastError, BallastOptionsError } from './errors/ballast.error.js';
export { HTTP_MEANING, httpMeaningOf, type HasHttpMeaning, type HttpMeaning } from './errors/http-meaning.js';
export { BallastExceptionFilter, resolveHttpMeaning, retryAfterSeconds } from './errors/ballast-exception.filter.js';

export {
  coerceEnvValue,
  defineOptions,
  parseOptions,
  processEnv,
  type DefineOptionsExtras,
  type EnvSource,
  type ModuleOptionsDefinition,
  type OptionCheckProblem,
  type OptionDoc,
  type OptionSpec,
  type OptionSpecTree,
  type OptionsSchema,
} from './options/option-spec.js';
export { mergeOptions, optionsFromEnv } from './options/env-options.js';

export { InjectMetricsRegistry } from './metrics/metrics.decorator.js';
export { counterOf, gaugeOf, histogramOf, type MetricsRegistry } from './metrics/metric.helpers.js';

export {
  degraded,
  healthy,
  unhealthy,
  worstHealth,
  type HealthSnapshot,
  type HealthStatus,
} from './health/health.status.js';
export {
  BallastHealthIndicator,
  type HealthCheckOptions,
  type HealthProbe,
} from './health/ballast-health.indicator.js';
export {
  HealthContributorRegistry,
  type HealthContributor,
  type ProbeKind,
} from './health/health-contributor.registry.js';

export {
  efficiencyScore,
  type ComponentReport,
  type MetricsSnapshot,
  type PerformanceReporter,
  type Recommendation,
  type RecommendationSeverity,
  type ReporterKind,
} from './reporting/performance-reporter.interface.js';
export { ReporterRegistry } from './reporting/reporter.registry.js';
export {
  PerformanceService,
  type ComponentView,
  type PerformanceReportView,
  type RecommendationView,
} from './performance/performance.service.js';
export { PerformanceApiGuard } from './performance/performance-api.guard.js';
export { PerformanceHistoryService, type HistoryView } from './history/performance-history.service.js';
export { HistoryBuffer, type HistoryColumns } from './history/history-buffer.js';
export { BREAKER_STATE_CODE, HEALTH_CODE } from './history/history.series.js';
export { MetricsReporterService } from './rates/metrics-reporter.service.js';
export { ratesBetween, readMetricTotals, type MetricRates, type MetricTotals } from './rates/metric-totals.js';
export { DASHBOARD_PANELS, type DashboardPanel, type DashboardUnit } from './dashboard/dashboard.panels.js';

export type {
  LeakQuery,
  ResourceHandle,
  ResourceInfo,
  ResourceLeak,
  ResourceRegistry,
} from './resources/resource-registry.interface.js';
export { NoopResourceRegistry } from './resources/noop-resource.registry.js';
export { ResourceRegistryHolder } from './resources/resource-registry.holder.js';

export { MEMORY_GOVERNOR } from './memory/memory.constants.js';
export {
  MemoryPriority,
  type MemoryConsumer,
  type MemoryGovernorRef,
  type MemoryPressureLevel,
  type MemoryReservation,
} from './memory/memory-consumer.interface.js';
export { MemoryReservationRefusedError, type MemoryRefusalNumbers } from './memory/memory.errors.js';

export { REDACTED, addSecretKeys, isSecretKey, redact, redactString } from './redaction/redact.js';
export { RedactingLogger } from './redaction/redacting.logger.js';

export { PageQueryPipe } from './pagination/page-query.pipe.js';
export { toPage, type Page, type PageQuery } from './pagination/page-query.js';

export { DeadlineExceededError, withDeadline } from './utils/deadline.js';
export { appIntervalRegistry, PrivateIntervalRegistry, type IntervalRegistry } from './utils/interval-registry.js';

export {
  enableAdmissionControl,
  type AdmissionControl,
  type EnableAdmissionControlExtras,
} from './admission/enable-admission-control.js';
export {
  admissionOptions,
  type AdmissionControlConfig,
  type AdmissionControlOptions,
} from './admission/admission.options.js';
export { ServingCapacityRegistry, type ServingCapacity } from './admission/serving-capacity.registry.js';
export {
  GradientLimiter,
  type GradientLimiterSettings,
  type GradientLimiterSnapshot,
} from './admission/gradient-limiter.js';

export {
  enableGracefulShutdown,
  type GracefulShutdown,
  type GracefulShutdownState,
  type ShutdownOutcome,
} from './shutdown/graceful-shutdown.js';
export { HttpDrain, IDLE_CLOSE_AFTER_MS, type HttpDrainOptions, type HttpDrainSummary } from './shutdown/http-drain.js';
export {
  shutdownOptions,
  type GracefulShutdownOptions,
  type ResolvedGracefulShutdownOptions,
} from './shutdown/shutdown.options.js';
export {
  httpServerOptions,
  type HttpServerSettings,
  type ResolvedHttpServerSettings,
} from './http/http-server.options.js';
export { applyServerSettings, listenWithServerSettings } from './http/listen-with-server-settings.js';

/**
 * Everything a suite needs: the contract types, the measuring helpers and the result builders.
 * Suites import from here only: `import { compareOps, costResult, type BenchSuite } from '../harness.js'`.
 */
export {
  costResult,
  opsResult,
  rateResult,
  roundTo,
  throughputResult,
  type BenchContext,
  type BenchOptions,
  type BenchResult,
  type BenchSuite,
  type ComparisonInput,
  type SuiteOutcome,
} from './harness/result.js';
export {
  collectLatencies,
  compareLatency,
  compareOps,
  interleave,
  measureLatency,
  measureOps,
  MEASURE_DEFAULTS,
  type BenchFn,
  type LatencyOptions,
  type MeasureOptions,
  type OpsStats,
} from './harness/measure.js';
export {
  compareBytes,
  forceGc,
  measureBytes,
  type FillFn,
  type MemoryOptions,
  type MemorySource,
  type MemoryStats,
} from './harness/memory.js';
export { median, percentile, percentiles, spread, type Percentiles } from './harness/stats.js';

/**
 * The contract between a suite and the runner. A suite is `bench/src/suites/<name>.suite.ts` with
 * `export default` a {@link BenchSuite}; the runner prints its results as a table and, with
 * `--json`, as one JSON line `{"suite": "<name>", "results": [...]}`.
 */

/** One comparison: our figure and one peer's, measured side by side in the same process. */
export interface BenchResult {
  /** What was measured, e.g. `acquire+release uncontended`. */
  readonly case: string;
  /** Unit of `ours` and `peerValue`, e.g. `ops_per_sec`, `ns_per_op`, `bytes_per_entry`, `hit_rate`. */
  readonly metric: string;
  readonly ours: number;
  /** The peer's name as a user would know it, e.g. `generic-pool` or `lru-cache`. */
  readonly peer: string;
  readonly peerValue: number;
  /** Always > 1 when ours is better: ours / peer for throughput and rates, peer / ours for a cost. */
  readonly ratio: number;
  /** Anything a reader needs to judge the figure fairly (what the peer skips, the settings used). */
  readonly note?: string;
}

/** How long and how often to measure; parsed from the command line. */
export interface BenchOptions {
  /** `--quick`: a short run for CI smoke tests. Figures from it are not worth publishing. */
  readonly quick: boolean;
  /** Measured rounds per case; each round measures every target once, in rotated order. */
  readonly rounds: number;
  /** Warm-up per target before the first round (JIT, caches, pools), in milliseconds. */
  readonly warmupMs: number;
  /** Measured time per target per round, in milliseconds. */
  readonly timeMs: number;
}

/** What the runner hands a suite: the options, plus a progress log that keeps stdout clean. */
export interface BenchContext extends BenchOptions {
  readonly suite: string;
  /** Progress for the person waiting; goes to stderr, never into the table or the JSON line. */
  log(message: string): void;
}

export interface BenchSuite {
  /** The file name without `.suite.ts`, e.g. `pool`. */
  readonly name: string;
  /** One line for `--list` and the table header. */
  readonly description?: string;
  run(ctx: BenchContext): Promise<BenchResult[] | SuiteOutcome>;
}

/**
 * What a suite returns when it also has figures that are not comparisons (the fleet's goals): the
 * runner prints `summary` under the table and puts it in the JSON line under the suite's name,
 * `{"suite":"fleet","fleet":{...},"results":[...],...}`.
 */
export interface SuiteOutcome {
  readonly results: BenchResult[];
  readonly summary: Readonly<Record<string, unknown>>;
}

/** The fields a builder needs; it works out the ratio. */
export interface ComparisonInput {
  readonly case: string;
  readonly ours: number;
  readonly peer: string;
  readonly peerValue: number;
  readonly note?: string;
}

/** Rounds to a few significant digits so the JSON stays readable; integers above that stay whole. */
export function roundTo(value: number, digits: number): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  return Number(value.toFixed(Math.min(decimals, 100)));
}

function build(input: ComparisonInput, metric: string, higherIsBetter: boolean): BenchResult {
  const { ours, peerValue } = input;
  for (const [label, value] of [
    ['ours', ours],
    ['peerValue', peerValue],
  ] as const) {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`${input.case} vs ${input.peer}: ${label} must be a finite number >= 0, got ${value}`);
    }
  }
  const [numerator, denominator] = higherIsBetter ? [ours, peerValue] : [peerValue, ours];
  if (denominator === 0) {
    throw new RangeError(
      `${input.case} vs ${input.peer}: cannot take a ratio, ${higherIsBetter ? 'peerValue' : 'ours'} is 0 ` +
        `(measure more work per sample, or report this case another way)`,
    );
  }
  return {
    case: input.case,
    metric,
    ours: roundTo(ours, 4),
    peer: input.peer,
    peerValue: roundTo(peerValue, 4),
    ratio: roundTo(numerator / denominator, 3),
    ...(input.note === undefined ? {} : { note: input.note }),
  };
}

/** More is better (operations or requests per second): ratio = ours / peer. */
export function throughputResult(input: ComparisonInput & { readonly metric?: string }): BenchResult {
  return build(input, input.metric ?? 'ops_per_sec', true);
}

/** Alias of {@link throughputResult} with the metric fixed to `ops_per_sec`. */
export function opsResult(input: ComparisonInput): BenchResult {
  return build(input, 'ops_per_sec', true);
}

/** A rate where more is better (hit rate, success rate): ratio = ours / peer. */
export function rateResult(input: ComparisonInput & { readonly metric: string }): BenchResult {
  return build(input, input.metric, true);
}

/** A cost where less is better (`ns_per_op`, `bytes_per_entry`, `p99_us`, `cpu_ms`): ratio = peer / ours. */
export function costResult(input: ComparisonInput & { readonly metric: string }): BenchResult {
  return build(input, input.metric, false);
}

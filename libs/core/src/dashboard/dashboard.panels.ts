/** How a panel's values read: the axis and the tooltips format them by it. */
export type DashboardUnit = 'ratio' | 'bytes' | 'mb' | 'ms' | 'count';

/**
 * One chart of the dashboard, drawn from the history (`GET /api/performance/history`). Each entry
 * of `series` names history series: `<kind>/<name>/<metric>` for what a reporter reports, with `*`
 * standing for any component name (one line per component), `process/<figure>` and
 * `breaker-state/*`. A panel whose series match nothing says "no data yet".
 */
export interface DashboardPanel {
  readonly id: string;
  /** The group it is shown under, in first-seen order. */
  readonly section: string;
  readonly title: string;
  /** What the panel is for, read by screen readers and shown under the title. */
  readonly description: string;
  readonly unit: DashboardUnit;
  readonly series: readonly { readonly match: string; readonly label?: string }[];
  /** `timeline`: one row per matched series, coloured by breaker state; `line` by default. */
  readonly kind?: 'line' | 'timeline';
  /** Draw a dashed least-squares extrapolation of the first matched series, a third of the window ahead. */
  readonly forecast?: boolean;
}

/**
 * The panels, in order. A module that reports something new gets a chart by adding an entry here
 * (its reporter's numeric metrics are already in the history).
 */
export const DASHBOARD_PANELS: readonly DashboardPanel[] = [
  {
    id: 'pool-utilisation',
    section: 'Pools',
    title: 'Pool utilisation',
    description: 'Connections in use over the pool maximum, per pool.',
    unit: 'ratio',
    series: [{ match: 'pool/*/utilisation' }],
  },
  {
    id: 'pool-wait',
    section: 'Pools',
    title: 'Pool wait p95',
    description: 'How long a caller waited for a connection (95th percentile), per pool.',
    unit: 'ms',
    series: [{ match: 'pool/*/wait_p95_ms', label: 'wait p95' }],
  },
  {
    id: 'cache-hit-rate',
    section: 'Caches',
    title: 'Cache hit rate',
    description: 'Share of lookups answered from the cache, per cache.',
    unit: 'ratio',
    series: [{ match: 'cache/*/hit_rate' }],
  },
  {
    id: 'cache-bytes',
    section: 'Caches',
    title: 'Cache bytes',
    description: 'Estimated bytes held by each cache.',
    unit: 'bytes',
    series: [{ match: 'cache/*/bytes' }],
  },
  {
    id: 'breaker-states',
    section: 'Breakers',
    title: 'Breaker states',
    description: 'The state of each circuit breaker over time: closed, half-open, open.',
    unit: 'count',
    kind: 'timeline',
    series: [{ match: 'breaker-state/*' }],
  },
  {
    id: 'resources',
    section: 'Resources',
    title: 'Tracked resources and leaks',
    description:
      'Resources the tracker holds open and leaks it reports, with the trend of open resources extrapolated.',
    unit: 'count',
    forecast: true,
    series: [
      { match: 'resources/*/open', label: 'open' },
      { match: 'resources/*/leaks', label: 'leaks' },
    ],
  },
  {
    id: 'model-bytes',
    section: 'Models',
    title: 'Model cache bytes',
    description: 'Bytes charged to loaded models against the model cache budget.',
    unit: 'bytes',
    series: [
      { match: 'models/*/chargedBytes', label: 'charged' },
      { match: 'models/*/maxBytes', label: 'budget' },
    ],
  },
  {
    id: 'memory-budget',
    section: 'Memory',
    title: 'Memory budget',
    description:
      "What counts against the memory governor's budget (RSS or heap used, plus reservations), the elevated and critical thresholds and the limit.",
    unit: 'mb',
    series: [
      { match: 'memory/*/usedMb', label: 'used' },
      { match: 'memory/*/elevatedMb', label: 'elevated' },
      { match: 'memory/*/criticalMb', label: 'critical' },
      { match: 'memory/*/limitMb', label: 'limit' },
    ],
  },
  {
    id: 'memory-pressure',
    section: 'Memory',
    title: 'Memory pressure level',
    description: 'The governor’s pressure level: 0 normal, 1 elevated (caches shrink), 2 critical (new work shed).',
    unit: 'count',
    series: [{ match: 'memory/*/levelCode', label: 'level' }],
  },
  {
    id: 'event-loop',
    section: 'Process',
    title: 'Event-loop delay',
    description: 'Event-loop delay per sample interval: 99th percentile and maximum.',
    unit: 'ms',
    series: [
      { match: 'process/event_loop_p99_ms', label: 'p99' },
      { match: 'process/event_loop_max_ms', label: 'max' },
    ],
  },
  {
    id: 'memory',
    section: 'Process',
    title: 'RSS and heap',
    // The heap limit (process/heap_limit_bytes, also sampled) would flatten both lines: it is in the numbers.
    description: 'Resident set size and V8 heap used.',
    unit: 'bytes',
    series: [
      { match: 'process/rss_bytes', label: 'RSS' },
      { match: 'process/heap_used_bytes', label: 'heap used' },
    ],
  },
];

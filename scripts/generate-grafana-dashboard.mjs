#!/usr/bin/env node
// Generates deploy/grafana/ballast-dashboard.json from code (@grafana/grafana-foundation-sdk):
// an overview row and one row per module, template variables for the data source, instance and the
// pool / cache / breaker names. `--check` fails when the committed JSON is not what this produces.
// Panels query raw families (not the recording rules) so the dashboard works without the rules.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import {
  DashboardBuilder,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { format, resolveConfig } from 'prettier';
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

const out = fileURLToPath(new URL('../deploy/grafana/ballast-dashboard.json', import.meta.url));
const datasource = { type: 'prometheus', uid: '${datasource}' };

const I = 'instance=~"$instance"';
const POOL = `${I},db_client_connection_pool_name=~"$pool"`;
const CACHE = `${I},cache=~"$cache"`;
const BREAKER = `${I},breaker=~"$breaker"`;
const POOL_BY = 'instance, db_client_connection_pool_name';

function query(expr, legend) {
  return new DataqueryBuilder().expr(expr).legendFormat(legend).datasource(datasource);
}

/** A time-series panel: title, what it shows (the panel's description), unit, queries [expr, legend]. */
function chart(title, description, unit, queries, { width = 8, min } = {}) {
  const panel = new TimeseriesBuilder()
    .title(title)
    .description(description)
    .unit(unit)
    .datasource(datasource)
    .height(8)
    .span(width);
  if (min !== undefined) panel.min(min);
  for (const [expr, legend] of queries) panel.withTarget(query(expr, legend));
  return panel;
}

function stat(title, description, unit, expr, width = 4) {
  return new StatBuilder()
    .title(title)
    .description(description)
    .unit(unit)
    .datasource(datasource)
    .height(4)
    .span(width)
    .withTarget(query(expr, '{{instance}}'));
}

function variable(name, label, expr) {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(datasource)
    .query({ query: expr, refId: name })
    .definition(expr)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .multi(true)
    .includeAll(true)
    .allValue('.*');
}

const poolUtilisation = `sum by (${POOL_BY}) (db_client_connection_count{${POOL},state="used"}) / sum by (${POOL_BY}) (db_client_connection_max{${POOL}})`;
const cacheHitRatio = (by) =>
  `sum by (${by}) (rate(ballast_cache_requests_total{${CACHE},result="hit"}[$__rate_interval])) / sum by (${by}) (rate(ballast_cache_requests_total{${CACHE}}[$__rate_interval]))`;

const rows = [
  [
    'Overview',
    [
      stat(
        'Breakers not closed',
        'Breakers open or half-open right now.',
        'none',
        `sum(ballast_circuit_breaker_state{${BREAKER},state=~"open|half-open"}) or vector(0)`,
      ),
      stat(
        'Leaks (15 min)',
        'Resources the tracker reported as leaked in the last 15 minutes.',
        'none',
        `sum(increase(ballast_resource_leaks_total{${I}}[15m])) or vector(0)`,
      ),
      stat(
        'Soonest exhaustion',
        'The nearest forecast time until a tracked resource type reaches its limit.',
        's',
        `min(ballast_resource_exhaustion_seconds{${I}})`,
      ),
      stat(
        'Heap used / limit',
        'Heap used against the V8 heap limit, worst instance.',
        'percentunit',
        `max(nodejs_heap_size_used_bytes{${I}} / ballast_process_heap_limit_bytes{${I}})`,
      ),
      stat(
        'Pool utilisation (max)',
        'The busiest pool: connections in use over its maximum.',
        'percentunit',
        `max(${poolUtilisation})`,
      ),
      stat('Cache hit ratio', 'Hits over all lookups, every cache together.', 'percentunit', cacheHitRatio('job')),
    ],
  ],
  [
    'Pools',
    [
      chart(
        'Pool utilisation',
        'Connections in use over the pool maximum.',
        'percentunit',
        [[poolUtilisation, '{{db_client_connection_pool_name}} {{instance}}']],
        { min: 0 },
      ),
      chart('Acquire wait p95', 'How long callers wait for a connection (95th percentile).', 's', [
        [
          `histogram_quantile(0.95, sum by (${POOL_BY}, le) (rate(db_client_connection_wait_time_seconds_bucket{${POOL}}[$__rate_interval])))`,
          '{{db_client_connection_pool_name}} {{instance}}',
        ],
      ]),
      chart(
        'Waiting callers',
        'Acquires queued for a connection.',
        'none',
        [[`db_client_connection_pending_requests{${POOL}}`, '{{db_client_connection_pool_name}} {{instance}}']],
        { min: 0 },
      ),
      chart('Acquires', 'Connections handed out per second.', 'ops', [
        [
          `sum by (${POOL_BY}) (rate(db_client_connection_wait_time_seconds_count{${POOL}}[$__rate_interval]))`,
          '{{db_client_connection_pool_name}} {{instance}}',
        ],
      ]),
      chart('Timeouts and errors', 'Acquire timeouts and connection errors per second, by kind.', 'ops', [
        [
          `sum by (${POOL_BY}) (rate(db_client_connection_timeouts_total{${POOL}}[$__rate_interval]))`,
          'timeouts {{db_client_connection_pool_name}} {{instance}}',
        ],
        [
          `sum by (${POOL_BY}, kind) (rate(ballast_pool_errors_total{${POOL}}[$__rate_interval]))`,
          '{{kind}} {{db_client_connection_pool_name}} {{instance}}',
        ],
      ]),
      chart('Connection use time p95', 'How long a connection is held per acquire (95th percentile).', 's', [
        [
          `histogram_quantile(0.95, sum by (${POOL_BY}, le) (rate(db_client_connection_use_time_seconds_bucket{${POOL}}[$__rate_interval])))`,
          '{{db_client_connection_pool_name}} {{instance}}',
        ],
      ]),
    ],
  ],
  [
    'Caches',
    [
      chart(
        'Hit ratio',
        'Hits over all lookups.',
        'percentunit',
        [[cacheHitRatio('instance, cache'), '{{cache}} {{instance}}']],
        { min: 0 },
      ),
      chart('Lookups', 'Lookups per second by result.', 'ops', [
        [
          `sum by (cache, result) (rate(ballast_cache_requests_total{${CACHE}}[$__rate_interval]))`,
          '{{cache}} {{result}}',
        ],
      ]),
      chart('Bytes held', 'Estimated bytes held against the byte bound.', 'bytes', [
        [`ballast_cache_bytes{${CACHE}}`, '{{cache}} {{instance}}'],
        [`ballast_cache_max_bytes{${CACHE}}`, 'max {{cache}} {{instance}}'],
      ]),
      chart('Evictions and expirations', 'Entries removed per second.', 'ops', [
        [`sum by (cache) (rate(ballast_cache_evictions_total{${CACHE}}[$__rate_interval]))`, 'evicted {{cache}}'],
        [`sum by (cache) (rate(ballast_cache_expirations_total{${CACHE}}[$__rate_interval]))`, 'expired {{cache}}'],
      ]),
      chart('L2 (Redis)', 'L2 link up (1) or down (0), and L2 reads per second by result.', 'none', [
        [`ballast_cache_l2_up{${CACHE}}`, 'up {{cache}} {{instance}}'],
        [
          `sum by (cache, result) (rate(ballast_cache_l2_requests_total{${CACHE}}[$__rate_interval]))`,
          '{{result}} {{cache}}',
        ],
      ]),
    ],
  ],
  [
    'Resilience',
    [
      chart(
        'Breaker state',
        'Open (1) or half-open (1) per breaker; 0 while closed.',
        'none',
        [[`ballast_circuit_breaker_state{${BREAKER},state=~"open|half-open"}`, '{{breaker}} {{state}} {{instance}}']],
        { min: 0 },
      ),
      chart('Breaker calls', 'Calls per second by outcome; short_circuited are rejections.', 'ops', [
        [
          `sum by (breaker, outcome) (rate(ballast_circuit_breaker_calls_total{${BREAKER}}[$__rate_interval]))`,
          '{{breaker}} {{outcome}}',
        ],
      ]),
      chart(
        'Breaker failure rate',
        'Failure rate of the sliding window, in percent.',
        'percent',
        [[`ballast_circuit_breaker_failure_rate{${BREAKER}}`, '{{breaker}} {{instance}}']],
        { min: 0 },
      ),
      chart('Retries and dead letters', 'Retry attempts and dead letters per second.', 'ops', [
        [`sum by (retry) (rate(ballast_retry_attempts_total{${I}}[$__rate_interval]))`, 'retries {{retry}}'],
        [`sum by (queue) (rate(ballast_dead_letters_total{${I}}[$__rate_interval]))`, 'dead letters {{queue}}'],
      ]),
    ],
  ],
  [
    'Resources (tracker)',
    [
      chart(
        'Tracked resources',
        'Open tracked resources by type.',
        'none',
        [[`sum by (type) (ballast_resources{${I}})`, '{{type}}']],
        { min: 0 },
      ),
      chart(
        'Leaks',
        'Leak reports per 5 minutes by type and reason.',
        'none',
        [[`sum by (type, reason) (increase(ballast_resource_leaks_total{${I}}[5m]))`, '{{type}} {{reason}}']],
        { min: 0 },
      ),
      chart(
        'Forecast time to exhaustion',
        'Time until a type reaches its limit at the current trend (absent when not growing).',
        's',
        [[`ballast_resource_exhaustion_seconds{${I}}`, '{{type}} {{instance}}']],
        { min: 0 },
      ),
      chart('File descriptors', 'Open file descriptors against the limit.', 'none', [
        [`process_open_fds{${I}}`, 'open {{instance}}'],
        [`process_max_fds{${I}}`, 'max {{instance}}'],
      ]),
    ],
  ],
  [
    'Neural',
    [
      chart(
        'Model cache bytes',
        'Bytes charged for loaded models against the capacity.',
        'bytes',
        [[`ballast_neural_bytes{${I},state=~"charged|capacity"}`, '{{state}} {{instance}}']],
        { min: 0 },
      ),
      chart('Model loads and unloads', 'Loads per second, and unloads per second by reason.', 'ops', [
        [`sum(rate(ballast_neural_model_loads_total{${I}}[$__rate_interval]))`, 'loads'],
        [`sum by (reason) (rate(ballast_neural_model_unloads_total{${I}}[$__rate_interval]))`, 'unloads {{reason}}'],
      ]),
      chart(
        'Models by state',
        'Models loading, ready, unloading or failed.',
        'none',
        [[`sum by (state) (ballast_neural_models{${I}})`, '{{state}}']],
        { min: 0 },
      ),
    ],
  ],
  [
    'Process',
    [
      chart(
        'Memory',
        'Resident set, heap used and the V8 heap limit.',
        'bytes',
        [
          [`process_resident_memory_bytes{${I}}`, 'rss {{instance}}'],
          [`nodejs_heap_size_used_bytes{${I}}`, 'heap used {{instance}}'],
          [`ballast_process_heap_limit_bytes{${I}}`, 'heap limit {{instance}}'],
        ],
        { min: 0 },
      ),
      chart(
        'Event-loop delay p99',
        'Event-loop lag, 99th percentile.',
        's',
        [[`nodejs_eventloop_lag_p99_seconds{${I}}`, '{{instance}}']],
        { min: 0 },
      ),
      chart(
        'CPU',
        'CPU seconds per second.',
        'percentunit',
        [[`rate(process_cpu_seconds_total{${I}}[$__rate_interval])`, '{{instance}}']],
        { min: 0 },
      ),
    ],
  ],
];

export function buildDashboard() {
  const builder = new DashboardBuilder('Ballast')
    .uid('ballast-overview')
    .description('Pools, caches, breakers, tracked resources, model cache and process of services built with Ballast.')
    .tags(['ballast', 'generated'])
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .withVariable(new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'))
    .withVariable(variable('instance', 'Instance', 'label_values(ballast_process_heap_limit_bytes, instance)'))
    .withVariable(
      variable(
        'pool',
        'Pool',
        'label_values(db_client_connection_max{instance=~"$instance"}, db_client_connection_pool_name)',
      ),
    )
    .withVariable(variable('cache', 'Cache', 'label_values(ballast_cache_max_bytes{instance=~"$instance"}, cache)'))
    .withVariable(
      variable('breaker', 'Breaker', 'label_values(ballast_circuit_breaker_state{instance=~"$instance"}, breaker)'),
    );
  for (const [title, panels] of rows) {
    builder.withRow(new RowBuilder(title));
    for (const panel of panels) builder.withPanel(panel);
  }
  return builder.build();
}

// Formatted as the repository's prettier would, so `format:check` and `--check` agree.
const json = await format(JSON.stringify(buildDashboard()), { ...(await resolveConfig(out)), filepath: out });
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(out, 'utf8');
  } catch {
    // missing counts as stale
  }
  if (current !== json) {
    console.error(`${out} is stale: run \`node scripts/generate-grafana-dashboard.mjs\``);
    process.exit(1);
  }
} else if (process.argv.includes('--stdout')) {
  process.stdout.write(json);
} else {
  writeFileSync(out, json);
}

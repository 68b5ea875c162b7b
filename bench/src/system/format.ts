import type { ScenarioResult } from './scenarios.js';

const show = (value: number | null | undefined, suffix = '') =>
  value === null || value === undefined ? '-' : `${value}${suffix}`;

const counts = (record: Record<string, number> | undefined) =>
  record && Object.keys(record).length
    ? Object.entries(record)
        .map(([key, n]) => `${key}:${n}`)
        .join(' ')
    : '-';

/** One row per scenario; the columns the goals are judged by. */
export function formatTable(results: readonly ScenarioResult[]): string {
  const header = [
    'scenario',
    'conns',
    'req/s (2xx/s)',
    'answered %',
    '2xx %',
    'admitted p50/p99 ms',
    'shed n (p99 ms)',
    'lost writes',
    'recover s',
    'exit s',
    'log lines',
  ];
  const rows = results.map((r) => [
    r.scenario,
    String(r.connections),
    `${r.traffic.perSecond} (${r.traffic.successPerSecond})`,
    String(r.traffic.answeredPct),
    String(r.traffic.successPct),
    `${show(r.traffic.admittedP50Ms)}/${show(r.traffic.admittedP99Ms)}`,
    `${r.traffic.shed} (${show(r.traffic.shedP99Ms)})`,
    `${r.lostAcknowledgedWrites}/${r.acknowledgedWrites}`,
    show(r.recoverS),
    r.exitS === undefined ? '-' : `${show(r.exitS)} (code ${show(r.exitCode)})`,
    String(r.logLines),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  const details = results.map((r) =>
    [
      `${r.scenario}: statuses ${counts(r.traffic.statuses)}; transport errors ${counts(r.traffic.transportErrors)}`,
      r.duringFault
        ? `  during fault: ${r.duringFault.requests} req, 2xx ${r.duringFault.successPct}%, statuses ${counts(r.duringFault.statuses)}, slowest failure ${show(r.slowestFailureMs, ' ms')}`
        : '',
      r.readinessDuringFault
        ? `  readiness during fault: ${counts(r.readinessDuringFault)}; back to ok after ${show(r.readinessRecoverS, ' s')}`
        : '',
      r.statsP99BeforeMs !== undefined
        ? `  /ticket-stats p99 before ${show(r.statsP99BeforeMs, ' ms')}, during ${show(r.statsP99DuringMs, ' ms')}`
        : '',
      r.resetBeforeExit !== undefined
        ? `  requests reset before exit: ${r.resetBeforeExit} (the drain cut ${r.drainRequestsCut ?? '?'} in flight, ` +
          `closed ${r.drainIdleClosed ?? '?'} idle; the rest never accepted)`
        : '',
      r.rssSlopeMbPerMin !== undefined
        ? `  RSS slope ${show(r.rssSlopeMbPerMin, ' MB/min')}, heap slope ${show(r.heapSlopeMbPerMin, ' MB/min')}`
        : '',
      r.overhead
        ? `  overhead: demo ${r.overhead.oursPerSecond.join(', ')} 2xx/s, bare ${r.overhead.peerPerSecond.join(', ')} 2xx/s, ratio ${r.overhead.ratio}`
        : '',
      `  alarms in the log: ${counts(r.alarms)}`,
      ...(r.alarmLines ?? []).map((line) => `    ${line}`),
    ]
      .filter(Boolean)
      .join('\n'),
  );
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), '', ...details].join('\n');
}

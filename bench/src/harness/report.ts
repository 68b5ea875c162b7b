import { arch, cpus, platform, totalmem } from 'node:os';

import type { BenchOptions, BenchResult } from './result.js';

export interface MachineInfo {
  readonly node: string;
  readonly cpu: string;
  readonly cores: number;
  readonly os: string;
  readonly memoryGb: number;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    node: process.version,
    cpu: list[0]?.model.trim() ?? 'unknown CPU',
    cores: list.length,
    os: `${platform()} ${arch()}`,
    memoryGb: Math.round(totalmem() / 1e8) / 10,
  };
}

/** What `--json` prints on the last line; `suite` and `results` are the contract, the rest is context. */
export interface BenchReport {
  readonly suite: string;
  readonly results: readonly BenchResult[];
  readonly date: string;
  readonly machine: MachineInfo;
  readonly options: BenchOptions;
}

/**
 * Rejects what a suite must never report: a result missing a field, a figure that is not a
 * finite number, or a ratio that is neither ours/peer nor peer/ours (a hand-built result gone wrong).
 */
export function validateResults(suite: string, results: unknown): asserts results is BenchResult[] {
  if (!Array.isArray(results)) throw new TypeError(`suite ${suite}: run() must resolve to an array of results`);
  results.forEach((raw: unknown, index) => {
    const where = `suite ${suite}, result ${index}`;
    if (typeof raw !== 'object' || raw === null) throw new TypeError(`${where}: not an object`);
    const result = raw as Record<string, unknown>;
    for (const key of ['case', 'metric', 'peer']) {
      if (typeof result[key] !== 'string' || result[key] === '') throw new TypeError(`${where}: ${key} must be text`);
    }
    for (const key of ['ours', 'peerValue', 'ratio']) {
      const value = result[key];
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new TypeError(`${where} (${String(result.case)}): ${key} must be a finite number >= 0, got ${value}`);
      }
    }
    const { ours, peerValue, ratio } = result as unknown as BenchResult;
    const close = (expected: number): boolean => Math.abs(ratio - expected) <= Math.max(0.01, expected * 0.01);
    const fits = (peerValue > 0 && close(ours / peerValue)) || (ours > 0 && close(peerValue / ours));
    if (!fits) {
      throw new RangeError(
        `${where} (${String(result.case)}): ratio ${ratio} is neither ours/peer nor peer/ours; ` +
          'build results with throughputResult/rateResult/costResult',
      );
    }
  });
}

/** 2,100,000 / 0.446 / 13.7: whole numbers above 1000, three significant digits below. */
export function formatNumber(value: number): string {
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (value === 0) return '0';
  return Number(value.toPrecision(3)).toString();
}

function formatRatio(ratio: number): string {
  return `${ratio >= 100 ? Math.round(ratio) : Number(ratio.toPrecision(3))}x`;
}

const COLUMNS = ['case', 'metric', 'ours', 'peer', 'peer value', 'ratio'] as const;

function rows(results: readonly BenchResult[]): string[][] {
  return results.map((r) => [
    r.case,
    r.metric,
    formatNumber(r.ours),
    r.peer,
    formatNumber(r.peerValue),
    formatRatio(r.ratio),
  ]);
}

function describeRun(options: BenchOptions): string {
  return (
    `${options.rounds} rounds x ${options.timeMs} ms per target after ${options.warmupMs} ms warm-up` +
    (options.quick ? ' (--quick: smoke run, do not publish)' : '')
  );
}

function describeMachine(machine: MachineInfo): string {
  return `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB, ${machine.os}, Node ${machine.node}`;
}

/** The human-readable table, with the machine and the method above it and the notes below. */
export function formatTable(report: BenchReport, description?: string): string {
  const body = rows(report.results);
  const widths = COLUMNS.map((title, col) => Math.max(title.length, ...body.map((row) => row[col]!.length)));
  const numeric = new Set([2, 4, 5]);
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, col) => (numeric.has(col) ? cell.padStart(widths[col]!) : cell.padEnd(widths[col]!)))
      .join('  ')
      .trimEnd();
  const notes = report.results.flatMap((r, i) => (r.note ? [`  [${i + 1}] ${r.case} vs ${r.peer}: ${r.note}`] : []));
  return [
    `Suite ${report.suite}${description ? ` — ${description}` : ''}`,
    `Machine: ${describeMachine(report.machine)}`,
    `Date: ${report.date}; ${describeRun(report.options)}`,
    'ratio > 1: ours is better (ours/peer for throughput and rates, peer/ours for costs)',
    '',
    line(COLUMNS),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
    ...(notes.length > 0 ? ['', 'Notes:', ...notes] : []),
  ].join('\n');
}

/**
 * A section for docs/benchmarks.md: command, machine, date, the table, and a bar chart of the
 * ratios (Mermaid, which GitHub renders) with the parity line at 1; bars are numbered like the rows.
 */
export function formatMarkdown(report: BenchReport, command: string): string {
  const cell = (text: string): string => text.replace(/\|/g, '\\|');
  const header = ['#', ...COLUMNS];
  const table = rows(report.results).map((row, i) => `| ${[String(i + 1), ...row].map(cell).join(' | ')} |`);
  const notes = report.results.flatMap((r, i) => (r.note ? [`- (${i + 1}) ${r.note}`] : []));
  const ratios = report.results.map((r) => r.ratio);
  const top = Math.max(2, ...ratios) * 1.1;
  return [
    `Command: \`${command}\``,
    '',
    `Machine: ${describeMachine(report.machine)}. Date: ${report.date.slice(0, 10)}. ${describeRun(report.options)}.`,
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => ([0, 3, 5, 6].includes(i) ? '---:' : '---')).join('|')}|`,
    ...table,
    ...(notes.length > 0 ? ['', ...notes] : []),
    '',
    '```mermaid',
    'xychart-beta',
    `  title "${report.suite}: ratio per row (> 1: ours is better)"`,
    `  x-axis [${report.results.map((_, i) => `"${i + 1}"`).join(', ')}]`,
    `  y-axis "ratio" 0 --> ${Number(top.toPrecision(2))}`,
    `  bar [${ratios.join(', ')}]`,
    `  line [${ratios.map(() => 1).join(', ')}]`,
    '```',
  ].join('\n');
}

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { parse } from 'yaml';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const rulesDir = `${root}deploy/prometheus`;
export const rulesFile = `${rulesDir}/ballast.rules.yml`;
export const rulesTestFile = `${rulesDir}/ballast.rules.test.yml`;

export interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function loadRules(): Rule[] {
  const doc = parse(readFileSync(rulesFile, 'utf8')) as { groups: { rules: Rule[] }[] };
  return doc.groups.flatMap((g) => g.rules);
}

/**
 * The metric names a PromQL expression reads: label matchers, grouping clauses, strings and
 * recording-rule names (`level:metric:operation`) removed, what is left that looks like one of our
 * families is a metric (a histogram's `_bucket`/`_count`/`_sum` series as written).
 */
export function metricsReadBy(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\b[a-z_]+:[a-z0-9_:]+/g, '');
  const names = stripped.match(/\b(?:ballast|db_client|nodejs|process)_[a-z0-9_]+\b/g) ?? [];
  return [...new Set(names)].sort();
}

/** Whether `name` is a family of `families`, or a histogram/summary series of one. */
export function isExported(name: string, families: ReadonlySet<string>): boolean {
  return families.has(name) || families.has(name.replace(/_(bucket|count|sum)$/, ''));
}

/** Families announced by a Prometheus text exposition (`# TYPE name kind`), with or without series. */
export function familiesIn(exposition: string): Set<string> {
  return new Set([...exposition.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1]!));
}

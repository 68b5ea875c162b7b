import { parseArgs } from 'node:util';

import { MEASURE_DEFAULTS } from './measure.js';
import type { BenchOptions } from './result.js';

export const USAGE = [
  'Usage: npm run bench -- <suite> [--json] [--markdown] [--quick] [--rounds N] [--time-ms N] [--warmup-ms N]',
  '       npm run bench -- --list',
  '',
  '  --json        also print the results as one JSON object on the last line of stdout',
  '  --markdown    also print a section for docs/benchmarks.md (table and chart)',
  '  --quick       short run for CI smoke tests (3 rounds, 30 ms each); not for publishing',
  '  --rounds N    measured rounds per case (default 15; median kept)',
  '  --time-ms N   measured time per target per round in ms (default 100)',
  '  --warmup-ms N warm-up per target in ms (default 300)',
].join('\n');

/** The measuring defaults: 15 rounds of 100 ms per target; a case with one peer takes about 4 s. */
export const FULL_RUN = {
  rounds: MEASURE_DEFAULTS.rounds,
  warmupMs: MEASURE_DEFAULTS.warmupMs,
  timeMs: MEASURE_DEFAULTS.timeMs,
} as const;
/** Enough to prove a suite runs end to end, in well under a second per case. */
export const QUICK_RUN = { rounds: 3, warmupMs: 20, timeMs: 30 } as const;

/** A mistake on the command line: the runner prints it with the usage and exits with 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type CliCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'list' }
  | {
      readonly kind: 'run';
      readonly suite: string;
      readonly json: boolean;
      readonly markdown: boolean;
      readonly options: BenchOptions;
    };

function positiveInt(flag: string, raw: string | undefined, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > max) {
    throw new UsageError(`--${flag} must be a whole number from 1 to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export function parseCli(argv: readonly string[]): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        markdown: { type: 'boolean', default: false },
        quick: { type: 'boolean', default: false },
        list: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        rounds: { type: 'string' },
        'time-ms': { type: 'string' },
        'warmup-ms': { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.list) return { kind: 'list' };
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'Name a suite to run.' : 'Run one suite at a time.');
  }
  const base = values.quick ? QUICK_RUN : FULL_RUN;
  return {
    kind: 'run',
    suite: positionals[0]!,
    json: values.json,
    markdown: values.markdown,
    options: {
      quick: values.quick,
      rounds: positiveInt('rounds', values.rounds, 1_000) ?? base.rounds,
      timeMs: positiveInt('time-ms', values['time-ms'], 600_000) ?? base.timeMs,
      warmupMs: positiveInt('warmup-ms', values['warmup-ms'], 600_000) ?? base.warmupMs,
    },
  };
}

/**
 * `npm run bench -- <suite> [--json] [--markdown] [--quick] [--rounds N]` and `npm run bench -- --list`.
 * Exit codes: 0 done, 1 the suite failed, 2 a usage mistake (unknown suite, bad flag).
 */
import { readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { parseCli, USAGE, UsageError } from './harness/cli.js';
import { formatMarkdown, formatTable, machineInfo, validateResults, type BenchReport } from './harness/report.js';
import type { BenchContext, BenchSuite } from './harness/result.js';

// BENCH_SUITES_DIR points the runner at other built suites (the runner's own tests use it).
const SUITES_DIR = process.env.BENCH_SUITES_DIR
  ? pathToFileURL(`${resolve(process.env.BENCH_SUITES_DIR)}/`)
  : new URL('./suites/', import.meta.url);
const SUITE_FILE = /^([a-z0-9][a-z0-9-]*)\.suite\.js$/;

async function availableSuites(): Promise<string[]> {
  try {
    const files = await readdir(SUITES_DIR);
    return files.flatMap((file) => SUITE_FILE.exec(file)?.[1] ?? []).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

async function loadSuite(name: string): Promise<BenchSuite> {
  const module = (await import(new URL(`${name}.suite.js`, SUITES_DIR).href)) as { default?: unknown };
  const suite = module.default as Partial<BenchSuite> | undefined;
  if (typeof suite !== 'object' || suite === null || typeof suite.run !== 'function') {
    throw new TypeError(`suites/${name}.suite.js must \`export default\` an object { name, run(ctx) }`);
  }
  if (suite.name !== name) {
    throw new TypeError(`suites/${name}.suite.js exports a suite named ${JSON.stringify(suite.name)}, not "${name}"`);
  }
  return suite as BenchSuite;
}

async function list(): Promise<void> {
  for (const name of await availableSuites()) {
    let description: string;
    try {
      description = (await loadSuite(name)).description ?? '';
    } catch (error) {
      description = `(does not load: ${(error as Error).message})`;
    }
    console.log(description ? `${name.padEnd(12)} ${description}` : name);
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let command;
  try {
    command = parseCli(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (command.kind === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (command.kind === 'list') {
    await list();
    return 0;
  }

  const suites = await availableSuites();
  if (!suites.includes(command.suite)) {
    console.error(
      `Unknown suite ${JSON.stringify(command.suite)}. Available suites: ${suites.join(', ') || '(none built)'}`,
    );
    return 2;
  }
  const suite = await loadSuite(command.suite);
  const ctx: BenchContext = {
    ...command.options,
    suite: suite.name,
    log: (message) => void process.stderr.write(`[${suite.name}] ${message}\n`),
  };
  const date = new Date().toISOString();
  const outcome = await suite.run(ctx);
  const { results, summary } = Array.isArray(outcome) ? { results: outcome, summary: undefined } : outcome;
  validateResults(suite.name, results);

  const report: BenchReport = { suite: suite.name, results, date, machine: machineInfo(), options: command.options };
  console.log(formatTable(report, suite.description));
  if (summary) console.log(`\n${suite.name}: ${JSON.stringify(summary, null, 2)}`);
  if (command.markdown) console.log(`\n${formatMarkdown(report, `npm run bench -- ${argv.join(' ')}`)}`);
  // The contract: with --json, the last line of stdout is this object and nothing follows it.
  // A summary goes right after "suite", under the suite's name: {"suite":"fleet","fleet":{...},...}.
  if (command.json)
    console.log(
      JSON.stringify(summary ? { suite: report.suite, [suite.name]: summary, ...withoutSuite(report) } : report),
    );
  return 0;
}

function withoutSuite(report: BenchReport): Omit<BenchReport, 'suite'> {
  const { suite: _suite, ...rest } = report;
  return rest;
}

// Exit explicitly once stdout is flushed: a suite that leaves a socket or timer open must not hang
// the run (its tests are where leaks get caught).
function exit(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

main(process.argv.slice(2)).then(exit, (error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  exit(1);
});

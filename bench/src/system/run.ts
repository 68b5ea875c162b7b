/**
 * `npm run system -- [--quick] [--json] [--only <name>[,<name>...]] [--list]`: the whole demo under
 * load and injected faults (see docs/benchmarks.md, "System suite"). Needs the built demo and real
 * PostgreSQL and Redis: SYSTEM_DATABASE_URL (default DATABASE_URL) is truncated, so give it a
 * database of its own; SYSTEM_REDIS_URL (default REDIS_URL).
 * Exit codes: 0 done, 1 a scenario failed to run, 2 a usage mistake.
 */
import { cpus } from 'node:os';

import { formatTable } from './format.js';
import { overhead } from './overhead.js';
import { SCENARIOS as SYSTEM_SCENARIOS, type ScenarioResult } from './scenarios.js';
import { resetTickets, type SystemEnv } from './system-stack.js';

const SCENARIOS = [...SYSTEM_SCENARIOS, overhead];

const USAGE = `usage: npm run system -- [--quick] [--json] [--only <name>[,<name>...]] [--list]
  --quick   the short version CI runs (fewer scenarios, shorter phases)
  --json    print one JSON line with every result after the table
  --only    run only these scenarios (see --list)`;

function parse(argv: readonly string[]) {
  const flags = { quick: false, json: false, list: false, only: [] as string[] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') flags.quick = true;
    else if (arg === '--json') flags.json = true;
    else if (arg === '--list') flags.list = true;
    else if (arg === '--only' && argv[i + 1]) flags.only.push(...argv[++i]!.split(','));
    else if (arg === '--help' || arg === '-h') return null;
    else throw new Error(`unknown argument ${JSON.stringify(arg)}`);
  }
  return flags;
}

async function main(): Promise<number> {
  let flags;
  try {
    flags = parse(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (!flags) {
    console.log(USAGE);
    return 0;
  }
  if (flags.list) {
    for (const s of SCENARIOS) console.log(`${s.name.padEnd(22)} ${s.quick ? '[quick] ' : '        '}${s.description}`);
    return 0;
  }
  const unknown = flags.only.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length) {
    console.error(`unknown scenario(s) ${unknown.join(', ')}; see --list`);
    return 2;
  }
  const chosen = SCENARIOS.filter((s) => (flags.only.length ? flags.only.includes(s.name) : !flags.quick || s.quick));
  const env: SystemEnv = {
    databaseUrl:
      process.env.SYSTEM_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    redisUrl: process.env.SYSTEM_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    quick: flags.quick,
    log: (line) => console.error(line),
  };
  const results: ScenarioResult[] = [];
  let failed = false;
  for (const scenario of chosen) {
    console.error(`running ${scenario.name} ...`);
    try {
      await resetTickets(env.databaseUrl);
      results.push(await scenario.run(env));
    } catch (error) {
      failed = true;
      console.error(`${scenario.name} failed: ${(error as Error).message}`);
    }
  }
  console.log(formatTable(results));
  if (flags.json) {
    const machine = { node: process.version, cpus: cpus().length, date: new Date().toISOString() };
    console.log(JSON.stringify({ suite: 'system', quick: flags.quick, machine, results }));
  }
  return failed ? 1 : 0;
}

process.exitCode = await main();

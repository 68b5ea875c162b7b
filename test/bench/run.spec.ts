import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built runner as `npm run bench` does, and reports how it ended instead of throwing. */
async function bench(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--expose-gc', 'bench/dist/run.js', ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('npm run bench (bench/dist/run.js)', () => {
  beforeAll(async () => {
    // Only bench and the libraries it references are built, into their own dist/ folders. tsc -b
    // still emits when another library has a type error; that is the other library's failure to
    // report, so only errors in bench/ stop these tests.
    try {
      await run(process.execPath, ['node_modules/typescript/bin/tsc', '-b', 'bench'], { cwd: root, timeout: 240_000 });
    } catch (error) {
      const output = String((error as { stdout?: string }).stdout ?? '');
      const ours = output.split('\n').filter((line) => line.startsWith('bench/'));
      if (ours.length > 0 || !/error TS\d+/.test(output))
        throw new Error(`bench does not build:\n${output}`, { cause: error });
    }
  }, 300_000);

  it('runs the core suite and ends stdout with the JSON object of the contract', async () => {
    const { code, stdout, stderr } = await bench(['core', '--quick', '--json']);
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });

    const lines = stdout.trimEnd().split('\n');
    const report = JSON.parse(lines[lines.length - 1]!) as {
      suite: string;
      results: { case: string; metric: string; ours: number; peer: string; peerValue: number; ratio: number }[];
    };
    expect(report.suite).toBe('core');
    expect(report.results.length).toBeGreaterThanOrEqual(4);
    for (const result of report.results) {
      expect(Object.keys(result)).toEqual(
        expect.arrayContaining(['case', 'metric', 'ours', 'peer', 'peerValue', 'ratio']),
      );
      expect(typeof result.case).toBe('string');
      expect(typeof result.peer).toBe('string');
      expect(result.ours).toBeGreaterThan(0);
      expect(result.peerValue).toBeGreaterThan(0);
      // The direction follows the metric: ours/peer for throughput, peer/ours for a cost.
      const expected =
        result.metric === 'ops_per_sec' ? result.ours / result.peerValue : result.peerValue / result.ours;
      expect(['ops_per_sec', 'ns_per_op']).toContain(result.metric);
      expect(Math.abs(result.ratio - expected)).toBeLessThanOrEqual(Math.max(0.01, expected * 0.01));
    }
    // The readable table comes first, with the machine in its header.
    expect(lines[0]).toMatch(/^Suite core/);
    expect(stdout).toContain(`Node ${process.version}`);
    expect(stdout).toMatch(/case\s+metric\s+ours\s+peer\s+peer value\s+ratio/);
  }, 180_000);

  it('lists the suites it can run', async () => {
    const { code, stdout } = await bench(['--list']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^core\s+\S/m);
  }, 60_000);

  it('exits with 2 and the list of suites for an unknown suite', async () => {
    const { code, stdout, stderr } = await bench(['no-such-suite', '--quick', '--json']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/Unknown suite "no-such-suite"\. Available suites: .*\bcore\b/);
  }, 60_000);

  it('exits with 2 and the usage for a bad flag', async () => {
    const { code, stderr } = await bench(['core', '--rounds', 'many']);
    expect(code).toBe(2);
    expect(stderr).toContain('--rounds must be a whole number');
    expect(stderr).toContain('Usage: npm run bench');
  }, 60_000);

  describe('with suites written by the test', () => {
    let dir = '';
    const suite = (name: string, body: string) => writeFile(join(dir, `${name}.suite.js`), body);

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'ballast-bench-'));
      await suite(
        'fixed',
        `export default { name: 'fixed', description: 'known figures', run: async (ctx) => {
           ctx.log('progress goes to stderr');
           return [{ case: 'c', metric: 'ops_per_sec', ours: 300, peer: 'p', peerValue: 100, ratio: 3 }];
         } };`,
      );
      await suite(
        'throws',
        `export default { name: 'throws', run: async () => { throw new Error('pool exploded'); } };`,
      );
      await suite(
        'backwards',
        `export default { name: 'backwards', run: async () =>
           [{ case: 'c', metric: 'ns_per_op', ours: 100, peer: 'p', peerValue: 50, ratio: 5 }] };`,
      );
      await suite('misnamed', `export default { name: 'other', run: async () => [] };`);
      await suite(
        'summed',
        `export default { name: 'summed', run: async () => ({ results: [], summary: { instances: 3, lost: 0 } }) };`,
      );
      await writeFile(join(dir, 'README.md'), 'not a suite');
    });

    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('prints the results as given, with progress on stderr only', async () => {
      const { code, stdout, stderr } = await bench(['fixed', '--json', '--quick'], { BENCH_SUITES_DIR: dir });
      expect(code).toBe(0);
      const lines = stdout.trimEnd().split('\n');
      expect(JSON.parse(lines[lines.length - 1]!)).toMatchObject({
        suite: 'fixed',
        results: [{ case: 'c', metric: 'ops_per_sec', ours: 300, peer: 'p', peerValue: 100, ratio: 3 }],
        options: { quick: true },
      });
      expect(stdout).not.toContain('progress goes to stderr');
      expect(stderr).toContain('[fixed] progress goes to stderr');
    }, 60_000);

    it('puts a suite\'s summary under its name, right after "suite", in the JSON line', async () => {
      const { code, stdout } = await bench(['summed', '--json'], { BENCH_SUITES_DIR: dir });
      expect(code).toBe(0);
      const lines = stdout.trimEnd().split('\n');
      const last = lines[lines.length - 1]!;
      expect(last.startsWith('{"suite":"summed","summed":{"instances":3,"lost":0},"results":[]')).toBe(true);
    }, 60_000);

    it('prints no JSON line without --json', async () => {
      const { code, stdout } = await bench(['fixed'], { BENCH_SUITES_DIR: dir });
      expect(code).toBe(0);
      expect(stdout).not.toContain('{"suite"');
      expect(stdout).toMatch(/c\s+ops_per_sec\s+300\s+p\s+100\s+3x/);
    }, 60_000);

    it('exits with 1 and the message when a suite fails', async () => {
      const { code, stdout, stderr } = await bench(['throws', '--json'], { BENCH_SUITES_DIR: dir });
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toContain('pool exploded');
    }, 60_000);

    it('exits with 1 when the ratio of a result fits neither direction', async () => {
      const { code, stderr } = await bench(['backwards', '--json'], { BENCH_SUITES_DIR: dir });
      expect(code).toBe(1);
      expect(stderr).toContain('ratio 5 is neither ours/peer nor peer/ours');
    }, 60_000);

    it('exits with 1 when a file exports a suite of another name', async () => {
      const { code, stderr } = await bench(['misnamed'], { BENCH_SUITES_DIR: dir });
      expect(code).toBe(1);
      expect(stderr).toContain('exports a suite named "other", not "misnamed"');
    }, 60_000);

    it('lists only *.suite.js files, and says which do not load', async () => {
      const { code, stdout } = await bench(['--list'], { BENCH_SUITES_DIR: dir });
      expect(code).toBe(0);
      expect(stdout.trimEnd().split('\n')).toEqual([
        'backwards',
        'fixed        known figures',
        'misnamed     (does not load: suites/misnamed.suite.js exports a suite named "other", not "misnamed")',
        'summed',
        'throws',
      ]);
    }, 60_000);
  });
});

import childProcess from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { describe, expect, it } from '@jest/globals';

const dist = (lib: string) => pathToFileURL(path.resolve(`libs/${lib}/dist/index.js`)).href;

/**
 * Runs an ES module script in a fresh Node process, as a CLI or a job would: a pending deadline or
 * acquire must keep the process alive until it settles (exit 13 is Node's "unsettled top-level
 * await", what an unref'd timer gives).
 */
async function runScript(source: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = childProcess.spawn(process.execPath, ['--input-type=module', '-e', source], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout: stdout.trim(), stderr };
}

describe('a script awaiting a pending call (built packages)', () => {
  it('gets the TimeoutError of a pending timeout instead of exiting early', async () => {
    const result = await runScript(`
      import { TimeoutPolicy, TimerWheel } from '${dist('resilience')}';
      const wheel = new TimerWheel(10);
      const policy = new TimeoutPolicy('script', 200, wheel);
      try {
        await policy.execute(() => new Promise(() => {}));
        console.log('resolved');
      } catch (error) {
        console.log(error.name);
      }
      // Settled: nothing of the wheel keeps the process alive any more.
      await policy.execute(async () => 'quick');
    `);
    expect(result).toMatchObject({ code: 0, stdout: 'TimeoutError' });
  });

  it('gets the PoolExhaustedError of a pending acquire instead of exiting early', async () => {
    const result = await runScript(`
      import { ResourcePool } from '${dist('pool')}';
      const pool = new ResourcePool({
        name: 'script',
        max: 1,
        acquireTimeoutMs: 200,
        factory: { create: async () => ({}), destroy: () => {} },
        logger: { log() {}, warn() {}, error() {} },
      });
      const held = await pool.acquire();
      try {
        await pool.acquire();
        console.log('acquired');
      } catch (error) {
        console.log(error.name);
      }
      held.release();
      // A waiter served in time: the script still ends (nothing pending keeps it).
      const first = await pool.acquire();
      const waiting = pool.acquire();
      first.release();
      (await waiting).release();
    `);
    expect(result).toMatchObject({ code: 0, stdout: 'PoolExhaustedError' });
  });
});

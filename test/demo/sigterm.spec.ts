import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from '@jest/globals';

const root = fileURLToPath(new URL('../..', import.meta.url));
const main = `${root}apps/demo/dist/main.js`;

describe('demo process', () => {
  it('starts on embedded defaults, answers, and exits 0 soon after SIGTERM, logging its drain', async () => {
    if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` (npm test does)`);
    const child = spawn(process.execPath, [main], {
      cwd: root,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', NO_COLOR: '1', DATABASE_URL: '', REDIS_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    // 'close', not 'exit': the last log lines may still be in the pipe when the process has exited.
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('close', (code, signal) => resolve({ code, signal })),
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL logged within 60 s:\n${output}`)), 60_000);
        child.stdout.on('data', () => {
          const match = /listening on (http:\/\/\S+)/.exec(output);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
        child.once('exit', () => reject(new Error(`demo exited before listening:\n${output}`)));
      });
      const ready = await fetch(`${url}/health/ready`);
      expect(ready.status).toBe(200);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain('process_cpu_user_seconds_total');

      const sentAt = Date.now();
      child.kill('SIGTERM');
      const { code, signal } = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(Date.now() - sentAt).toBeLessThan(10_000);
      expect(output).toContain('SIGTERM received: readiness answers 503 shutting_down');
      expect(output).toMatch(/HTTP drained in \d+ ms: .*nothing cut/);
      expect(output).toContain('exit code 0');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 90_000);
});

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

import { root } from './rule-files.js';

export interface RunningProcess {
  readonly url: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

/** Ends a child with SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * The built demo (`apps/demo/dist/main.js`) as its own process on a free loopback port, with `env`
 * on top of the test's environment. Resolves once it logged its URL.
 */
export async function startDemo(env: Record<string, string>): Promise<RunningProcess> {
  const main = `${root}apps/demo/dist/main.js`;
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` (npm test does)`);
  const child = spawn(process.execPath, [main], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`demo logged no URL within 30 s:\n${output}`)), 30_000);
      child.stdout.on('data', () => {
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!.replace('localhost', '127.0.0.1'));
        }
      });
      child.once('exit', () => {
        clearTimeout(timer);
        reject(new Error(`demo exited before listening:\n${output}`));
      });
    });
    return { url, output: () => output, stop: () => stopChild(child) };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

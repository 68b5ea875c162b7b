/**
 * Runs memory.service.ts in a child process with `--max-old-space-size=<limit>` and reads what it
 * did: its `result` line when it finished, else how far its `progress` lines got and how it died.
 * The child's RSS is also read from /proc every 20 ms, so a run that dies still has a peak RSS.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import type { ServiceConfig, ServiceResult } from './memory.service.js';

const SERVICE = fileURLToPath(new URL('./memory.service.js', import.meta.url));

export interface ServiceRun {
  readonly config: ServiceConfig;
  /** Requests done: the result's count, else the last progress line (a lower bound). */
  readonly requests: number;
  readonly completed: boolean;
  /** How it ended when it did not complete, e.g. `JavaScript heap out of memory after 4.1 s`. */
  readonly death?: string;
  readonly wallMs: number;
  /** Peak RSS seen from outside (every 20 ms) or inside (every few requests), whichever is higher. */
  readonly peakRssBytes: number;
  readonly result?: ServiceResult;
}

function rssOf(pid: number): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

export function runService(config: ServiceConfig, heapMb = config.limitMb): Promise<ServiceRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [`--max-old-space-size=${heapMb}`, SERVICE, JSON.stringify(config)], {
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let peakRss = 0;
    const poll = setInterval(() => {
      const rss = child.pid === undefined ? undefined : rssOf(child.pid);
      if (rss !== undefined) peakRss = Math.max(peakRss, rss);
    }, 20);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => {
      clearInterval(poll);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearInterval(poll);
      const wallMs = performance.now() - started;
      const lines = stdout.split('\n');
      const resultLine = lines.find((line) => line.startsWith('result '));
      const result = resultLine ? (JSON.parse(resultLine.slice('result '.length)) as ServiceResult) : undefined;
      const progress = lines.filter((line) => line.startsWith('progress ')).pop();
      const requests = result?.requests ?? (progress ? Number(progress.slice('progress '.length)) : 0);
      const completed = code === 0 && signal === null && result !== undefined;
      const cause = stderr.includes('heap out of memory')
        ? 'JavaScript heap out of memory'
        : `exit ${code ?? signal}: ${stderr.trim().split('\n').pop() ?? ''}`;
      resolve({
        config,
        requests,
        completed,
        ...(completed ? {} : { death: `${cause} after ${(wallMs / 1000).toFixed(1)} s` }),
        wallMs,
        peakRssBytes: Math.max(peakRss, result?.peakRssBytes ?? 0),
        ...(result ? { result } : {}),
      });
    });
  });
}

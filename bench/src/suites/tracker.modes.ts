import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** What the tracker suite, its services and its load generator share. */
export const MODES = ['off', 'default', 'debug', 'stack-hook'] as const;
export type Mode = (typeof MODES)[number];

/**
 * - `api`: a JSON endpoint with a per-request deadline timer and an awaited step, opening nothing of
 *   its own: what most requests of a service look like; the tracker's cost here is its fixed cost.
 * - `files`: every request also opens, reads and closes a file and holds a `tracked()` object: two
 *   tracked resources per request, the tracker's cost per resource.
 */
export const WORKLOADS = ['api', 'files'] as const;
export type Workload = (typeof WORKLOADS)[number];

export const CONCURRENCY = 16;

/** Suite → service: report the CPU used so far; suite → load generator: send a burst. */
export type ServiceRequest = { kind: 'cpu' } | { kind: 'stop' };
export type ServiceReply = { kind: 'listening'; port: number } | { kind: 'cpu'; us: number };
export interface BurstRequest {
  port: number;
  requests: number;
}
export interface BurstReply {
  ms: number;
}

let canPin: boolean | undefined;

/** `taskset -c <cpu>` as a command prefix where it can pin (two CPUs or more, taskset present), else nothing. */
export function pinnedTo(cpu: number): string[] {
  // Asked before every process: look for taskset once.
  canPin ??= availableParallelism() >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  return canPin ? ['taskset', '-c', String(cpu)] : [];
}

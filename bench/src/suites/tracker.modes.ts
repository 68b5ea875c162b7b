/** What the tracker suite and its per-run process share. */
export const MODES = ['off', 'default', 'debug', 'stack-hook'] as const;
export type Mode = (typeof MODES)[number];

export const CONCURRENCY = 16;

export interface RunResult {
  rps: number;
  cpuUsPerReq: number;
}

/**
 * Paired ratios for the cache suite, as the tracker suite takes them: targets are measured in
 * interleaved rounds (compareOps), so round i of ours and round i of the peer ran a fraction of a
 * second apart under the same load. The ratio is the median of the rounds' own ratios, with the
 * order-statistic 95% confidence interval of that median; `ours` is the peer's median scaled by it,
 * so the printed value and the ratio agree.
 */
import { median, opsResult, type BenchResult, type OpsStats } from '../harness.js';

export interface PairedRatio {
  readonly median: number;
  readonly low: number;
  readonly high: number;
  readonly rounds: number;
}

/** Median of per-round ratios with the distribution-free 95% confidence interval of that median. */
export function pairedRatio(ours: readonly number[], peer: readonly number[]): PairedRatio {
  const ratios = ours.map((value, i) => value / peer[i]!).sort((a, b) => a - b);
  const n = ratios.length;
  const half = 0.98 * Math.sqrt(n);
  return {
    median: median(ratios),
    low: ratios[Math.max(0, Math.floor(n / 2 - half))]!,
    high: ratios[Math.min(n - 1, Math.ceil(n / 2 + half))]!,
    rounds: n,
  };
}

export function intervalNote(ratio: PairedRatio): string {
  return `${ratio.rounds} paired rounds, 95% CI of the median ratio ${ratio.low.toFixed(2)}-${ratio.high.toFixed(2)}`;
}

/** An ops/s result whose ratio is the paired median of ours against `peer`, with its interval in the note. */
export function pairedOpsResult(input: {
  case: string;
  ours: OpsStats;
  peer: string;
  peerStats: OpsStats;
  note?: string;
}): BenchResult {
  const ratio = pairedRatio(input.ours.perRound, input.peerStats.perRound);
  return opsResult({
    case: input.case,
    ours: input.peerStats.opsPerSec * ratio.median,
    peer: input.peer,
    peerValue: input.peerStats.opsPerSec,
    note: [input.note, intervalNote(ratio)].filter(Boolean).join('; '),
  });
}

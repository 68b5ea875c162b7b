import {
  BucketHistogram,
  CREATE_BUCKETS_MS,
  USE_BUCKETS_MS,
  WAIT_BUCKETS_MS,
} from '../resource-pool/bucket-histogram.js';
import type { PoolStats } from '../resource-pool/pool-stats.js';

type Overrides = Partial<Omit<PoolStats, 'waitTime' | 'useTime' | 'createTime'>> & {
  /** Values (ms) recorded into each histogram. */
  waits?: readonly number[];
  uses?: readonly number[];
};

/** PoolStats for specs of what reads them (health, reports, metrics), without a live pool. */
export function fakeStats(overrides: Overrides = {}): PoolStats {
  const { waits = [], uses = [], ...rest } = overrides;
  const wait = new BucketHistogram(WAIT_BUCKETS_MS);
  const use = new BucketHistogram(USE_BUCKETS_MS);
  for (const v of waits) wait.observe(v);
  for (const v of uses) use.observe(v);
  return {
    name: 'main',
    kind: 'database',
    state: 'open',
    min: 0,
    max: 10,
    size: 0,
    used: 0,
    idle: 0,
    validating: 0,
    creating: 0,
    pending: 0,
    waitingForMs: 0,
    acquireTimeoutMs: 30_000,
    timeouts: 0,
    exhausted: 0,
    leaks: 0,
    created: 0,
    destroyed: 0,
    errors: { create: 0, validate: 0, destroy: 0, broken: 0 },
    waitTime: wait.snapshot(),
    useTime: use.snapshot(),
    createTime: new BucketHistogram(CREATE_BUCKETS_MS).snapshot(),
    ...rest,
  };
}

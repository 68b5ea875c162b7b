import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { describe, expect, it } from '@jest/globals';

import { runLeakScenario, type ScenarioResult } from './leak-scenario.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Garbage the way a busy service makes it: short-lived objects, some living long enough to be
 * promoted, so the old generation grows and V8 runs its own mark-compact. No explicit GC call.
 * How much garbage that takes depends on the heap V8 chose, so it keeps going until the abandoned
 * objects are gone (or a generous cap), then leaves a few turns for finalizers.
 */
const survivors: object[][] = [];
async function allocationPressure(abandonedCollected: () => boolean): Promise<void> {
  const nextJob = () => new Promise((resolve) => setImmediate(resolve));
  const deadline = Date.now() + 20_000;
  for (let round = 0; ; round++) {
    const batch = new Array<object>(50_000);
    for (let i = 0; i < batch.length; i++) batch[i] = { i, label: `request-${i}` };
    // A response body's worth: large objects go straight to the old generation, as they do in an app.
    batch.push(new Array<number>(250_000).fill(round));
    survivors.push(batch);
    if (survivors.length > 8) survivors.shift();
    await nextJob();
    if (round >= 10 && (abandonedCollected() || Date.now() > deadline)) break;
  }
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 1));
}

function summary(result: ScenarioResult) {
  return {
    detectionRate: result.detectionRate,
    falsePositiveRate: result.falsePositiveRate,
    missed: result.missed.map((p) => `${p.kind}/${p.fate}/${p.owner}`),
    wrongAttribution: result.wrongAttribution.map((p) => `${p.kind}/${p.owner}`),
    falsePositives: result.falsePositives.map((l) => `${l.id} ${l.owner} ${l.reason}`),
    abandonedNotCollected: result.abandonedNotCollected.map((p) => `${p.kind} ${p.id}`),
  };
}

describe('leak scenario (200 real resources, 8 types, time compressed)', () => {
  it('finds >= 95% of leaks with type and owner, <= 5% false positives, with forced GC', async () => {
    const result = await runLeakScenario(42, () => gc());
    const s = summary(result);
    expect(s).toMatchObject({ missed: [], wrongAttribution: [], falsePositives: [] });
    expect(result.planned).toHaveLength(200);
    expect(s.detectionRate).toBeGreaterThanOrEqual(0.95);
    expect(s.falsePositiveRate).toBeLessThanOrEqual(0.05);
    expect(s.abandonedNotCollected).toEqual([]);
  }, 120_000);

  it('reports every abandoned FileHandle and user object as collected without close, without forced GC', async () => {
    const result = await runLeakScenario(7, allocationPressure);
    const s = summary(result);
    expect(s.abandonedNotCollected).toEqual([]);
    expect(s.detectionRate).toBeGreaterThanOrEqual(0.95);
    expect(s.falsePositiveRate).toBeLessThanOrEqual(0.05);
    survivors.length = 0;
  }, 120_000);
});

import { describe, expect, it } from '@jest/globals';

import { trackerConfigFrom } from './tracker-config.js';
import { trackerOptions } from './tracker.options.js';

describe('trackerOptions', () => {
  it('documents the stack-sampling default in the form its environment variable accepts', () => {
    const doc = trackerOptions.docs().find((d) => d.path === 'stacks.sampling')!;
    expect(doc.default).toBe('"10/s"');
    const fromDocs = trackerOptions.parse({ stacks: { sampling: JSON.parse(doc.default!) as string } });
    expect(fromDocs.stacks.sampling).toEqual({ perSecond: 10 });
    expect(trackerOptions.parse({}).stacks.sampling).toEqual({ perSecond: 10 });
    expect(() => trackerOptions.parse({ stacks: { sampling: '0/s' } })).toThrow(
      /stacks\.sampling \(env BALLAST_TRACKER_STACK_SAMPLING\) = "0\/s": must be "all", "none"/,
    );
  });

  it('requires growth for the learned rule by default, and maps requireGrowth: false to age alone', () => {
    const learnOf = (learn: object) => trackerConfigFrom(trackerOptions.parse({ leaks: { learn } })).learn;
    expect(learnOf({})).toMatchObject({ growthScans: 2 });
    expect(learnOf({ growthScans: 5 })).toMatchObject({ growthScans: 5 });
    expect(learnOf({ requireGrowth: false, growthScans: 5 })).toMatchObject({ growthScans: 1 });
    expect(() => trackerOptions.parse({ leaks: { learn: { growthScans: 1 } } })).toThrow(/leaks\.learn\.growthScans/);
  });
});

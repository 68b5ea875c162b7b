import type { StackSampling } from './interfaces/tracked-resource.interface.js';

const FRAMES = 12;
// Frames of the tracker itself and of core's registry holder: the creation site is the caller's.
const OWN_FRAME =
  /(([/\\]libs[/\\]tracker|@ballast[/\\]tracker)[/\\](src|dist)[/\\][^:()]*?(?<!\.spec)\.[jt]s:)|([/\\]libs[/\\]core|@ballast[/\\]core)[/\\](src|dist)[/\\]resources[/\\]/;

/** Per type: the stacks taken in the current second, for `{ perSecond }` sampling. */
export interface StackBudget {
  stackWindowStart: number;
  stacksInWindow: number;
}

/**
 * Captures where a resource was created, already formatted as a string. Reading `.stack` at once
 * matters: an unformatted captured stack keeps the frames' receivers (often the resource) alive,
 * which would silently disable the collected-without-close check. A stack costs 10-70 µs (more
 * under deep async call chains), by far the largest cost of a registration, hence the sampling.
 */
export class CreationStackSampler {
  private counter = 0;
  private readonly oneIn: number;
  private readonly perSecond: number;

  constructor(sampling: StackSampling) {
    this.oneIn = sampling === 'all' ? 1 : typeof sampling === 'number' ? sampling : 0;
    this.perSecond = typeof sampling === 'object' ? sampling.perSecond : 0;
  }

  sample(budget: StackBudget, now: number): string | undefined {
    if (this.perSecond > 0) {
      if (now - budget.stackWindowStart >= 1_000) {
        budget.stackWindowStart = now;
        budget.stacksInWindow = 0;
      }
      if (budget.stacksInWindow >= this.perSecond) return undefined;
      budget.stacksInWindow += 1;
      return captureCreationStack();
    }
    if (this.oneIn === 0) return undefined;
    if (this.oneIn > 1) {
      this.counter = (this.counter + 1) % this.oneIn;
      if (this.counter !== 1) return undefined;
    }
    return captureCreationStack();
  }
}

export function captureCreationStack(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = FRAMES + 8;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  return stack
    .split('\n')
    .slice(1)
    .filter((line) => !OWN_FRAME.test(line))
    .slice(0, FRAMES)
    .map((line) => line.trim())
    .join('\n');
}

/** The first frame of a formatted stack: the creation site a recommendation names. */
export function creationSite(stack: string | undefined): string | undefined {
  const first = stack?.split('\n')[0];
  return first?.replace(/^at\s+/, '');
}

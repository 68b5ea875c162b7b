import type { StackSampling } from './interfaces/tracked-resource.interface.js';

const FRAMES = 12;
// Frames of the tracker itself and of core's registry holder: the creation site is the caller's.
const OWN_FRAME =
  /(([/\\]libs[/\\]tracker|@ballast[/\\]tracker)[/\\](src|dist)[/\\][^:()]*?(?<!\.spec)\.[jt]s:)|([/\\]libs[/\\]core|@ballast[/\\]core)[/\\](src|dist)[/\\]resources[/\\]/;

/**
 * Captures where a resource was created, already formatted as a string. Reading `.stack` at once
 * matters: an unformatted captured stack keeps the frames' receivers (often the resource) alive,
 * which would silently disable the collected-without-close check.
 */
export class CreationStackSampler {
  private counter = 0;

  constructor(private readonly sampling: StackSampling) {}

  sample(): string | undefined {
    if (this.sampling === 'none') return undefined;
    if (typeof this.sampling === 'number' && this.sampling > 1) {
      this.counter = (this.counter + 1) % this.sampling;
      if (this.counter !== 1 % this.sampling) return undefined;
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

import { creationSite } from '../creation-stack.js';
import type { TrackedResourceView } from '../interfaces/tracked-resource.interface.js';
import type { ResourceTracker } from '../resource-tracker.js';

export interface NoLeakedResourcesOptions {
  /** How long closing may take to settle (sockets finishing their close). */
  readonly settleMs?: number;
  /** Types that may stay open (e.g. a shared client the test owns). */
  readonly ignoreTypes?: readonly string[];
}

export class LeakedResourcesError extends Error {
  constructor(
    readonly leftovers: readonly TrackedResourceView[],
    readonly collected: number,
  ) {
    const lines = leftovers.map(
      (r) =>
        `${r.id} (${r.type}) of ${r.owner ?? 'unknown owner'}, open ${r.ageMs} ms, created at ${creationSite(r.stack) ?? 'unknown site (raise stacks.sampling)'}`,
    );
    const gc = collected > 0 ? `\n  and ${collected} resource(s) garbage-collected without being closed` : '';
    super(`${leftovers.length} tracked resource(s) still open after close:\n  ${lines.join('\n  ')}${gc}`);
  }
}

/**
 * goleak for Nest apps: after `app.close()`, nothing the tracker saw may still be open (and
 * nothing may have been dropped unclosed). Take the tracker before closing:
 *
 * @example
 * const tracker = app.get(RESOURCE_TRACKER);
 * await app.close();
 * await expectNoLeakedResources(tracker);
 */
export async function expectNoLeakedResources(
  tracker: ResourceTracker,
  options: NoLeakedResourcesOptions = {},
): Promise<void> {
  const { settleMs = 1_000, ignoreTypes = [] } = options;
  const deadline = Date.now() + settleMs;
  const left = (): TrackedResourceView[] => tracker.list().filter((r) => !ignoreTypes.includes(r.type));
  let leftovers = left();
  while (leftovers.length > 0 && Date.now() < deadline) {
    await new Promise<void>((resolve) => setTimeout(resolve, 10));
    leftovers = left();
  }
  const collected = tracker
    .detectLeaks({ maxLifetimeMs: Number.MAX_SAFE_INTEGER })
    .filter((leak) => leak.reason === 'collected-without-close' && !ignoreTypes.includes(leak.type)).length;
  if (leftovers.length > 0 || collected > 0) throw new LeakedResourcesError(leftovers, collected);
}

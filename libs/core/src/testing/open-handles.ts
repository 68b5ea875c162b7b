/**
 * Proves that closing an app leaves nothing that keeps the process alive: take a snapshot before
 * the app is created, close it, then `expectNoNewHandles(snapshot)`. Works in any test runner.
 */
export interface HandleSnapshot {
  readonly counts: ReadonlyMap<string, number>;
  readonly handles: ReadonlySet<unknown>;
}

export interface NoNewHandlesOptions {
  /** How long closing may take to settle (sockets finishing their FIN, timers firing). */
  readonly settleMs?: number;
  /** Resource types to ignore, e.g. `['TTYWrap']`. */
  readonly ignore?: readonly string[];
}

type ProcessWithHandles = NodeJS.Process & { _getActiveHandles?: () => unknown[] };

function activeHandles(): unknown[] {
  return (process as ProcessWithHandles)._getActiveHandles?.() ?? [];
}

function countTypes(types: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of types) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

export function snapshotHandles(): HandleSnapshot {
  return { counts: countTypes(process.getActiveResourcesInfo()), handles: new Set(activeHandles()) };
}

function extra(snapshot: HandleSnapshot, ignore: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const [type, count] of countTypes(process.getActiveResourcesInfo())) {
    const grown = count - (snapshot.counts.get(type) ?? 0);
    if (grown > 0 && !ignore.includes(type)) out.set(type, grown);
  }
  return out;
}

function describeHandle(handle: unknown): string {
  const name = (handle as object)?.constructor?.name ?? typeof handle;
  const socket = handle as { remoteAddress?: string; remotePort?: number; localPort?: number };
  if (socket.remoteAddress) return `${name} -> ${socket.remoteAddress}:${socket.remotePort}`;
  const server = handle as { address?: () => unknown };
  if (typeof server.address === 'function') {
    try {
      return `${name} listening on ${JSON.stringify(server.address())}`;
    } catch {
      return name;
    }
  }
  return name;
}

export class OpenHandlesError extends Error {}

/** Waits up to `settleMs` for the process to be back to the snapshot; throws listing what is left. */
export async function expectNoNewHandles(snapshot: HandleSnapshot, options: NoNewHandlesOptions = {}): Promise<void> {
  const { settleMs = 2_000, ignore = [] } = options;
  const deadline = Date.now() + settleMs;
  let left = extra(snapshot, ignore);
  while (left.size > 0 && Date.now() < deadline) {
    // Our own wait must be over before we look, or it would count as a leftover timer.
    await new Promise<void>((resolve) => setTimeout(resolve, 10));
    left = extra(snapshot, ignore);
  }
  if (left.size === 0) return;
  const types = [...left].map(([type, count]) => `${type} x${count}`).join(', ');
  const handles = activeHandles()
    .filter((h) => !snapshot.handles.has(h))
    .map(describeHandle);
  throw new OpenHandlesError(
    `Still open ${settleMs} ms after close: ${types}${handles.length ? `\n  ${handles.join('\n  ')}` : ''}`,
  );
}

/** Runs `scenario` (which must close what it opens) and checks that nothing of it is left open. */
export async function expectNoOpenHandlesAfter(
  scenario: () => Promise<void>,
  options?: NoNewHandlesOptions,
): Promise<void> {
  const snapshot = snapshotHandles();
  await scenario();
  await expectNoNewHandles(snapshot, options);
}

import type { ModuleRef } from '@nestjs/core';

/** What Ballast modules use of @nestjs/schedule's `SchedulerRegistry`: named intervals. */
export interface IntervalRegistry {
  addInterval(name: string, intervalId: NodeJS.Timeout): void;
  deleteInterval(name: string): void;
  doesExist(type: 'interval', name: string): boolean;
}

/**
 * Named intervals held by the module itself when the app has no `ScheduleModule`, with
 * `SchedulerRegistry`'s semantics: a name is taken once, and deleting an interval clears it.
 */
export class PrivateIntervalRegistry implements IntervalRegistry {
  private readonly intervals = new Map<string, NodeJS.Timeout>();

  addInterval(name: string, intervalId: NodeJS.Timeout): void {
    if (this.intervals.has(name)) throw new Error(`Interval with the given name (${name}) already exists`);
    this.intervals.set(name, intervalId);
  }

  deleteInterval(name: string): void {
    const interval = this.intervals.get(name);
    if (interval === undefined) throw new Error(`No Interval was found with the given name (${name})`);
    clearInterval(interval);
    this.intervals.delete(name);
  }

  doesExist(_type: 'interval', name: string): boolean {
    return this.intervals.has(name);
  }
}

/**
 * The app's `SchedulerRegistry` when it imports `ScheduleModule`, else undefined. @nestjs/schedule
 * is an optional peer of every Ballast module: it is imported here only when installed, so an app
 * without it installs, type-checks and runs (the modules then keep their intervals privately).
 */
export async function appIntervalRegistry(moduleRef: ModuleRef): Promise<IntervalRegistry | undefined> {
  let schedule: { SchedulerRegistry: new (...args: never[]) => IntervalRegistry };
  try {
    schedule = await import('@nestjs/schedule');
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
  try {
    return moduleRef.get(schedule.SchedulerRegistry, { strict: false });
  } catch {
    return undefined; // installed, but the app has no ScheduleModule
  }
}

/**
 * Runs `tick` every `periodMs` as an interval named `name` in the app's `SchedulerRegistry` (or a
 * private registry without `ScheduleModule`), unref'd so it never keeps the process alive. Returns
 * the function that stops it; call it from `onApplicationShutdown`.
 */
export async function startNamedInterval(
  moduleRef: ModuleRef,
  name: string,
  periodMs: number,
  tick: () => void,
): Promise<() => void> {
  const scheduler = (await appIntervalRegistry(moduleRef)) ?? new PrivateIntervalRegistry();
  const interval = setInterval(tick, periodMs);
  interval.unref();
  scheduler.addInterval(name, interval);
  return () => {
    // ScheduleModule may have cleared its registry first; the interval is ours to stop either way.
    if (scheduler.doesExist('interval', name)) scheduler.deleteInterval(name);
    clearInterval(interval);
  };
}

import type { MemoryPressureLevel } from '@ballast/core';

export interface PressureThresholds {
  /** Fractions of the budget (0-1). */
  readonly elevated: number;
  readonly critical: number;
  /** A level is left only once usage is this far (a fraction of the budget) below its threshold. */
  readonly hysteresis: number;
}

/**
 * The next level for a usage ratio: up as soon as a threshold is crossed, down only once usage
 * falls `hysteresis` below it, so a process hovering at 80% does not flap between levels.
 */
export function nextPressureLevel(
  current: MemoryPressureLevel,
  ratio: number,
  t: PressureThresholds,
): MemoryPressureLevel {
  if (ratio >= t.critical) return 'critical';
  if (current === 'critical' && ratio > t.critical - t.hysteresis) return 'critical';
  if (ratio >= t.elevated) return 'elevated';
  if (current !== 'normal' && ratio > t.elevated - t.hysteresis) return 'elevated';
  return 'normal';
}

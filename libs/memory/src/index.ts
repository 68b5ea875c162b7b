export { MemoryModule } from './memory.module.js';
export { MEMORY_OPTIONS } from './memory.constants.js';
export { memoryOptions, type MemoryModuleOptions, type MemoryOptions } from './memory.options.js';
export { MemoryGovernorService } from './memory-governor.service.js';
export { MemoryGovernor, type MemoryGovernorHooks, type MemoryGovernorSettings } from './memory-governor.js';
export {
  cgroupLimit,
  detectMemoryBudget,
  retainableHeapBytes,
  type MemoryBudget,
  type MemoryBudgetSource,
} from './memory-budget.js';
export { nextPressureLevel, type PressureThresholds } from './pressure-level.js';
export type { MemoryLevelChange, MemorySample, ShrinkRound } from './memory-sample.js';
export { MemorySheddingGuard } from './memory-shedding.guard.js';
export { MemoryShedding } from './memory-shedding.decorator.js';

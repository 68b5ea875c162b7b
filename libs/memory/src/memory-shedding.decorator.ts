import { SetMetadata } from '@nestjs/common';

import { MEMORY_SHEDDING_METADATA } from './memory.constants.js';

/**
 * Per route or controller: `@MemoryShedding(false)` never sheds it at critical (a payment callback,
 * a drain endpoint); `@MemoryShedding(true)` sheds it even when `shedAtCritical` is off.
 */
export const MemoryShedding = (shed: boolean): MethodDecorator & ClassDecorator =>
  SetMetadata(MEMORY_SHEDDING_METADATA, shed);

import { BallastError } from '../errors/ballast.error.js';
import { HTTP_MEANING, type HasHttpMeaning, type HttpMeaning } from '../errors/http-meaning.js';

/** The numbers behind a refused reservation, so the message alone says how full the process was. */
export interface MemoryRefusalNumbers {
  readonly owner: string;
  readonly requestedBytes: number;
  /** Process memory counted against the budget at the last sample (RSS or heap, per the budget). */
  readonly usedBytes: number;
  /** Bytes already reserved by others and not yet released. */
  readonly reservedBytes: number;
  /** Where critical pressure starts, in bytes. */
  readonly criticalBytes: number;
  readonly limitBytes: number;
  /** When a retry may succeed (a sampling interval or two, while consumers shrink). */
  readonly retryAfterMs: number;
}

const MB = 1024 * 1024;
const mb = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;

/**
 * `reserve(bytes, owner)` would take the process past the critical threshold. HTTP: 503
 * `memory_reservation_refused`, dependency `memory`, `Retry-After` from the governor.
 */
export class MemoryReservationRefusedError extends BallastError implements HasHttpMeaning {
  readonly numbers: MemoryRefusalNumbers;

  constructor(numbers: MemoryRefusalNumbers) {
    super(
      `Memory reservation of ${mb(numbers.requestedBytes)} for "${numbers.owner}" refused: ` +
        `used ${mb(numbers.usedBytes)} + reserved ${mb(numbers.reservedBytes)} would pass the critical ` +
        `threshold ${mb(numbers.criticalBytes)} (limit ${mb(numbers.limitBytes)})`,
      { ...numbers },
    );
    this.numbers = numbers;
  }

  [HTTP_MEANING](): HttpMeaning {
    return {
      status: 503,
      code: 'memory_reservation_refused',
      dependency: 'memory',
      retryAfterMs: this.numbers.retryAfterMs,
    };
  }
}

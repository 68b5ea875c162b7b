import type { CallContext } from '../interfaces/call-context.interface.js';

/** A context for a call made with no deadline of its own: it passes the caller's signal through. */
export class PlainContext implements CallContext {
  private own: AbortSignal | undefined;

  constructor(
    private readonly parent: CallContext | undefined,
    readonly attempt: number = parent?.attempt ?? 1,
  ) {}

  get signal(): AbortSignal {
    if (this.parent !== undefined) return this.parent.signal;
    return (this.own ??= new AbortController().signal);
  }

  get callerSignal(): AbortSignal | undefined {
    return this.parent?.callerSignal;
  }
}

/** Wraps a bare `AbortSignal` given by a caller. */
export class SignalContext implements CallContext {
  constructor(
    readonly signal: AbortSignal,
    readonly attempt = 1,
  ) {}

  get callerSignal(): AbortSignal {
    return this.signal;
  }
}

export function toContext(parent: CallContext | AbortSignal | undefined): CallContext | undefined {
  if (parent === undefined || isContext(parent)) return parent;
  return new SignalContext(parent);
}

function isContext(value: CallContext | AbortSignal): value is CallContext {
  return typeof (value as CallContext).attempt === 'number';
}

/**
 * A context whose signal can be aborted by this layer (a timeout) as well as by the caller's.
 * The AbortController exists only once somebody reads `signal`; an abort that happens before that
 * is remembered and the signal is born aborted.
 */
export class AbortableContext implements CallContext {
  private controller: AbortController | undefined;
  private reason: unknown;
  private aborted = false;
  private parentSignal: AbortSignal | undefined;
  private parentListener: (() => void) | undefined;

  constructor(
    protected readonly parent: CallContext | undefined,
    readonly attempt: number = parent?.attempt ?? 1,
  ) {}

  get callerSignal(): AbortSignal | undefined {
    return this.parent?.callerSignal;
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) {
        this.controller.abort(this.reason);
      } else if (this.parent !== undefined) {
        const parentSignal = this.parent.signal;
        if (parentSignal.aborted) {
          this.abort(parentSignal.reason);
        } else {
          this.parentSignal = parentSignal;
          this.parentListener = () => this.abort(parentSignal.reason);
          parentSignal.addEventListener('abort', this.parentListener, { once: true });
        }
      }
    }
    return this.controller.signal;
  }

  get isAborted(): boolean {
    return this.aborted;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.detach();
    this.controller?.abort(reason);
  }

  /** Stops listening to the caller's signal once the call is over (long-lived signals must not collect listeners). */
  detach(): void {
    if (this.parentSignal !== undefined) {
      this.parentSignal.removeEventListener('abort', this.parentListener!);
      this.parentSignal = undefined;
      this.parentListener = undefined;
    }
  }
}

/** The context of one retry attempt: the caller's signal (if any), and the attempt number. */
export class AttemptContext implements CallContext {
  private own: AbortSignal | undefined;

  constructor(
    readonly callerSignal: AbortSignal | undefined,
    readonly attempt: number,
  ) {}

  get signal(): AbortSignal {
    return this.callerSignal ?? (this.own ??= new AbortController().signal);
  }
}

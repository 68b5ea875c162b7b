import { RedactingLogger } from '@ballast/core';

import type { Breaker } from '../breaker/breaker.js';
import type { KeyedBreakers } from '../breaker/keyed-breakers.js';
import type { BulkheadPolicy } from '../bulkhead/bulkhead.policy.js';
import type { FallbackPolicy } from '../fallback/fallback.policy.js';
import type { CallContext, Protected } from '../interfaces/call-context.interface.js';
import type { ResilienceRuntime } from '../resilience.runtime.js';
import type { RetryPolicy } from '../retry/retry.policy.js';
import { PlainContext, SignalContext } from '../timeout/call-context.js';
import type { TimeoutPolicy } from '../timeout/timeout.policy.js';
import { signalParameterOf, type MethodState } from './method-policies.js';
import { ResilienceHolder } from './resilience.holder.js';

type Step = (context: CallContext | undefined) => Promise<unknown>;
type AnyFn = (...args: unknown[]) => unknown;

const logger = new RedactingLogger('ResilienceDecorators');

function settle(run: () => unknown): Promise<unknown> {
  try {
    return Promise.resolve(run());
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * The policies of one decorated method, resolved against one runtime, applied in one order:
 *
 *   Fallback( DeadLetter( Retry( CircuitBreaker( Timeout( Bulkhead( method ) ) ) ) ) )
 *
 * resilience4j's order with Fallback outermost: every retry attempt goes through the breaker (so
 * an open breaker stops the retries), each attempt has its own deadline, the deadline includes the
 * wait for a bulkhead slot, a record reaches the dead-letter queue only when every attempt failed,
 * and the fallback answers for whatever is left.
 */
export class MethodPipeline {
  private readonly breaker: Breaker | undefined;
  private readonly keyed: KeyedBreakers | undefined;
  private readonly retry: RetryPolicy | undefined;
  private readonly timeout: TimeoutPolicy | undefined;
  private readonly bulkhead: BulkheadPolicy | undefined;
  private readonly fallback: FallbackPolicy | undefined;
  private readonly signalIndex: number | undefined;

  constructor(
    private readonly runtime: ResilienceRuntime,
    private readonly state: MethodState,
  ) {
    const { policies, label } = state;
    if (policies.breaker) {
      const { name = label, request, key, maxKeys } = policies.breaker;
      if (key) this.keyed = runtime.breakers.keyed(name, { ...request, ...(maxKeys ? { maxKeys } : {}) });
      else this.breaker = runtime.breakers.get(name, request);
    }
    if (policies.retry) this.retry = runtime.retry(policies.retry.name ?? label, policies.retry.request);
    if (policies.timeout) this.timeout = runtime.timeout(policies.timeout.name ?? label, policies.timeout.request);
    if (policies.bulkhead) this.bulkhead = runtime.bulkhead(policies.bulkhead.name ?? label, policies.bulkhead.request);
    if (policies.fallback) this.fallback = runtime.fallback(label, policies.fallback.on);
    this.signalIndex = signalParameterOf(state.target, state.key);
  }

  invoke(self: unknown, args: unknown[]): Promise<unknown> {
    const { original, policies } = this.state;
    const signalIndex = this.signalIndex;
    const callerSignal =
      signalIndex !== undefined && args[signalIndex] instanceof AbortSignal
        ? (args[signalIndex] as AbortSignal)
        : undefined;

    const method: Protected<unknown> = (context) => {
      if (signalIndex === undefined) return (original as AnyFn).apply(self, args);
      const withSignal = args.slice();
      while (withSignal.length <= signalIndex) withSignal.push(undefined);
      withSignal[signalIndex] = context.signal;
      return (original as AnyFn).apply(self, withSignal);
    };

    const bulkhead = this.bulkhead;
    const inner: Step = bulkhead
      ? (context) => bulkhead.execute(method, context)
      : (context) => settle(() => method(context ?? new PlainContext(undefined)));

    const timeout = this.timeout;
    const breaker = this.keyed
      ? this.keyed.get(String((policies.breaker!.key as (...a: unknown[]) => unknown)(...args)))
      : this.breaker;
    let guarded: Step;
    if (breaker) {
      // The timeout counts the call when the breaker lets it run (DeadlineOwner.armed), not here.
      guarded = (context) => breaker.execute(inner, { context, timeout });
    } else if (timeout) {
      guarded = (context) => timeout.execute(inner, context);
    } else {
      guarded = inner;
    }

    const retry = this.retry;
    const attempt = retry
      ? () => retry.execute(guarded, callerSignal)
      : () => guarded(callerSignal ? new SignalContext(callerSignal) : undefined);

    const deadLetter = policies.deadLetter;
    const recorded = deadLetter
      ? () =>
          attempt().catch(async (error: unknown) => {
            await this.sendDeadLetter(self, args, error);
            throw error;
          })
      : attempt;

    const fallback = this.fallback;
    if (!fallback) return recorded();
    const handler = policies.fallback!.handler;
    return fallback.execute(recorded, (error) => {
      const fn = typeof handler === 'string' ? (self as Record<string, unknown> | undefined)?.[handler] : handler;
      if (typeof fn !== 'function') {
        throw new TypeError(`@Fallback('${String(handler)}') on ${this.state.label}: no such method on the instance`);
      }
      return (fn as AnyFn).call(self, error, ...args);
    });
  }

  private async sendDeadLetter(self: unknown, args: unknown[], error: unknown): Promise<void> {
    const spec = this.state.policies.deadLetter!;
    const plain = this.signalIndex === undefined ? args : args.filter((_, i) => i !== this.signalIndex);
    try {
      const record = spec.record
        ? (spec.record as (...a: unknown[]) => unknown).call(self, ...args)
        : plain.length === 1
          ? plain[0]
          : plain;
      const meta = spec.meta ? (spec.meta as (...a: unknown[]) => Record<string, unknown>).call(self, ...args) : {};
      await this.runtime.deadLetters.send(spec.queue, record, error, { source: this.state.label, ...meta });
    } catch (sendError) {
      // The caller must still see the original failure; a lost letter is logged and counted.
      logger.error(
        `Could not dead-letter a failed call of ${this.state.label} to "${spec.queue}": ${(sendError as Error)?.message ?? sendError}`,
      );
    }
  }
}

/** Entry point of every decorated method: finds the runtime now, so it works wherever the method is called from. */
export function invokeWithPolicies(state: MethodState, self: unknown, args: unknown[]): Promise<unknown> {
  try {
    const runtime = ResilienceHolder.current();
    let pipeline = state.pipelines.get(runtime);
    if (pipeline === undefined) {
      pipeline = new MethodPipeline(runtime, state);
      state.pipelines.set(runtime, pipeline);
    }
    return pipeline.invoke(self, args);
  } catch (error) {
    return Promise.reject(error);
  }
}

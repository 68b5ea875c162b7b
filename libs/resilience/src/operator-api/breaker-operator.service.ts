import { RedactingLogger } from '@ballast/core';
import { Inject, Injectable, NotFoundException } from '@nestjs/common';

import type { Breaker } from '../breaker/breaker.js';
import { BreakerRegistry } from '../breaker/breaker.registry.js';
import type { BreakerStateName } from '../errors/resilience.errors.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';
import type { ResilienceOptions } from '../resilience.options.js';
import { breakerView, keyedGroupView, type BreakerView } from './breaker.view.js';
import type { OperatorStateRequest } from './operator-state.js';

/** A name as it may appear in an answer: bounded, whatever a client sent. */
const quoted = (name: string) => JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}...` : name);

/**
 * What the performance API does with breakers. It calls the same methods as code does
 * (`holdOpen()`, `disable()`, `metricsOnly()`, `reset()`), so a transition set here is published to
 * the other instances through shared state exactly as one set from code.
 */
@Injectable()
export class BreakerOperatorService {
  private readonly logger = new RedactingLogger('ResilienceOperator');

  constructor(
    private readonly registry: BreakerRegistry,
    @Inject(RESILIENCE_OPTIONS) private readonly options: ResilienceOptions,
  ) {}

  list() {
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    return {
      breakers: this.registry
        .list()
        .map((breaker) => this.view(breaker))
        .sort(byName),
      keyed_groups: this.registry.listKeyed().map(keyedGroupView).sort(byName),
    };
  }

  one(name: string): BreakerView {
    return this.view(this.named(name));
  }

  /** Sets or ends an operator state; logs one warn line when the state changed. */
  set(name: string, requested: OperatorStateRequest): BreakerView & { previous_state: BreakerStateName } {
    const breaker = this.named(name);
    const from = breaker.state;
    if (requested === 'forced-open') breaker.holdOpen();
    else if (requested === 'disabled') breaker.disable();
    else if (requested === 'metrics-only') breaker.metricsOnly();
    else breaker.reset();
    const view = this.view(breaker);
    if (view.state !== from) {
      this.logger.warn(
        `Circuit breaker "${breaker.name}" set by an operator through the performance API: ${from} -> ${view.state}` +
          (view.shared_state ? ' (published to the other instances)' : ''),
      );
    }
    return { ...view, previous_state: from };
  }

  private view(breaker: Breaker): BreakerView {
    return breakerView(breaker, this.options.sharedState.enabled);
  }

  /** A named breaker that exists on this instance; never creates one. */
  private named(name: string): Breaker {
    const breaker = this.registry.find(name);
    if (breaker !== undefined) return breaker;
    if (this.registry.findKeyed(name) !== undefined) {
      throw new NotFoundException(
        `${quoted(name)} is a keyed breaker group: operator states through the API apply to named breakers only`,
      );
    }
    throw new NotFoundException(
      `No circuit breaker named ${quoted(name)} on this instance (a breaker exists once it was used here, ` +
        'or once shared state brought it from another instance)',
    );
  }
}

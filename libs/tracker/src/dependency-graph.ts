/** Thrown when `dependsOn` would close a cycle; names every node of it. */
export class DependencyCycleError extends Error {
  constructor(readonly cycle: readonly string[]) {
    super(`ResourceTrackerModule: dependency cycle ${cycle.join(' -> ')}`);
  }
}

/**
 * Who needs whom among resources and providers. `dependsOn(a, b)` means a uses b, so b must be
 * opened first and closed last. Cycles are refused when declared, naming the cycle.
 */
export class DependencyGraph {
  private readonly edges = new Map<string, Set<string>>();

  add(node: string): void {
    if (!this.edges.has(node)) this.edges.set(node, new Set());
  }

  dependsOn(dependent: string, dependency: string): void {
    this.add(dependent);
    this.add(dependency);
    const path = this.pathBetween(dependency, dependent);
    if (path) throw new DependencyCycleError([dependent, ...path]);
    this.edges.get(dependent)!.add(dependency);
  }

  remove(node: string): void {
    this.edges.delete(node);
    for (const deps of this.edges.values()) deps.delete(node);
  }

  dependenciesOf(node: string): string[] {
    return [...(this.edges.get(node) ?? [])];
  }

  /** Every cycle-free graph has one; a graph built only through `dependsOn` never has a cycle. */
  findCycle(): string[] | undefined {
    const state = new Map<string, 'visiting' | 'done'>();
    const stack: string[] = [];
    const visit = (node: string): string[] | undefined => {
      state.set(node, 'visiting');
      stack.push(node);
      for (const next of this.edges.get(node) ?? []) {
        const seen = state.get(next);
        if (seen === 'visiting') return [...stack.slice(stack.indexOf(next)), next];
        if (seen === undefined) {
          const found = visit(next);
          if (found) return found;
        }
      }
      stack.pop();
      state.set(node, 'done');
      return undefined;
    };
    for (const node of this.edges.keys()) {
      if (state.get(node) === undefined) {
        const found = visit(node);
        if (found) return found;
      }
    }
    return undefined;
  }

  /** Dependencies before their dependents (open order). */
  startupOrder(): string[] {
    const cycle = this.findCycle();
    if (cycle) throw new DependencyCycleError(cycle);
    const order: string[] = [];
    const done = new Set<string>();
    const visit = (node: string): void => {
      if (done.has(node)) return;
      done.add(node);
      for (const dep of [...(this.edges.get(node) ?? [])].sort()) visit(dep);
      order.push(node);
    };
    for (const node of [...this.edges.keys()].sort()) visit(node);
    return order;
  }

  /** Dependents before what they depend on (close order). */
  teardownOrder(): string[] {
    return this.startupOrder().reverse();
  }

  /**
   * Closes nodes in teardown order; nodes without a closer are skipped. A node's closer runs only
   * after every dependent's closer has settled; failures are collected, never stop the teardown.
   */
  async teardown(closers: ReadonlyMap<string, () => unknown>): Promise<{ order: string[]; errors: Error[] }> {
    const order: string[] = [];
    const errors: Error[] = [];
    for (const node of this.teardownOrder()) {
      const close = closers.get(node);
      if (!close) continue;
      order.push(node);
      try {
        await close();
      } catch (error) {
        errors.push(error instanceof Error ? error : new Error(String(error)));
      }
    }
    return { order, errors };
  }

  private pathBetween(from: string, to: string): string[] | undefined {
    if (from === to) return [from];
    const seen = new Set<string>([from]);
    const queue: Array<[string, string[]]> = [[from, [from]]];
    while (queue.length > 0) {
      const [node, path] = queue.shift()!;
      for (const next of this.edges.get(node) ?? []) {
        if (next === to) return [...path, to];
        if (!seen.has(next)) {
          seen.add(next);
          queue.push([next, [...path, next]]);
        }
      }
    }
    return undefined;
  }
}

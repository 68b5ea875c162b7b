import { describe, expect, it } from '@jest/globals';

import { DependencyCycleError, DependencyGraph } from './dependency-graph.js';

describe('DependencyGraph', () => {
  it('refuses a cycle, naming it', () => {
    const graph = new DependencyGraph();
    graph.dependsOn('orders-repo', 'db-pool');
    graph.dependsOn('db-pool', 'secrets');
    let error: unknown;
    try {
      graph.dependsOn('secrets', 'orders-repo');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DependencyCycleError);
    expect((error as DependencyCycleError).cycle).toEqual(['secrets', 'orders-repo', 'db-pool', 'secrets']);
    expect((error as Error).message).toContain('secrets -> orders-repo -> db-pool -> secrets');
    expect(graph.findCycle()).toBeUndefined();
    expect(() => graph.dependsOn('x', 'x')).toThrow(DependencyCycleError);
  });

  it('tears down dependents before their dependencies, even when a closer fails', async () => {
    const graph = new DependencyGraph();
    graph.dependsOn('api', 'cache');
    graph.dependsOn('api', 'db-pool');
    graph.dependsOn('cache', 'redis');
    graph.dependsOn('db-pool', 'socket-server');
    graph.dependsOn('cache', 'db-pool');
    const closed: string[] = [];
    const closers = new Map<string, () => unknown>(
      ['api', 'cache', 'db-pool', 'redis', 'socket-server'].map((name) => [
        name,
        async () => {
          await new Promise((resolve) => setTimeout(resolve, name === 'api' ? 20 : 1));
          closed.push(name);
          if (name === 'cache') throw new Error('cache close failed');
        },
      ]),
    );
    const { order, errors } = await graph.teardown(closers);
    expect(order).toEqual(closed);
    expect(errors.map((e) => e.message)).toEqual(['cache close failed']);
    const at = (name: string) => closed.indexOf(name);
    for (const [dependent, dependency] of [
      ['api', 'cache'],
      ['api', 'db-pool'],
      ['cache', 'redis'],
      ['cache', 'db-pool'],
      ['db-pool', 'socket-server'],
    ] as const) {
      expect(at(dependent)).toBeLessThan(at(dependency));
    }
  });
});

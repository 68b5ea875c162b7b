import { Injectable } from '@nestjs/common';

import type { PerformanceReporter, ReporterKind } from './performance-reporter.interface.js';

/** Where modules register their performance reporters; the performance API reads from here. */
@Injectable()
export class ReporterRegistry {
  private readonly reporters = new Map<string, PerformanceReporter>();

  /** Returns the function that removes it again. */
  register(reporter: PerformanceReporter): () => void {
    const key = `${reporter.kind}:${reporter.name}`;
    if (this.reporters.has(key))
      throw new Error(`A ${reporter.kind} reporter named "${reporter.name}" is already registered`);
    this.reporters.set(key, reporter);
    return () => {
      if (this.reporters.get(key) === reporter) this.reporters.delete(key);
    };
  }

  list(kind?: ReporterKind): PerformanceReporter[] {
    const all = [...this.reporters.values()];
    return kind === undefined ? all : all.filter((r) => r.kind === kind);
  }
}

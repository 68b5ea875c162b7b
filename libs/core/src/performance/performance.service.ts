import { Inject, Injectable } from '@nestjs/common';

import { BALLAST_CORE_OPTIONS, RESOURCE_REGISTRY } from '../core.constants.js';
import type { BallastCoreOptions } from '../core.options.js';
import { worstHealth, type HealthStatus } from '../health/health.status.js';
import { redact } from '../redaction/redact.js';
import type {
  ComponentReport,
  PerformanceReporter,
  Recommendation,
  ReporterKind,
} from '../reporting/performance-reporter.interface.js';
import { ReporterRegistry } from '../reporting/reporter.registry.js';
import type { ResourceLeak, ResourceRegistry } from '../resources/resource-registry.interface.js';
import { withDeadline } from '../utils/deadline.js';

/** One component as the performance API shows it. */
export interface ComponentView {
  readonly name: string;
  readonly kind: ReporterKind;
  readonly health: { status: HealthStatus; reason?: string; details?: Record<string, unknown> };
  readonly efficiency_score: number;
  readonly metrics: Record<string, unknown>;
  readonly recommendations: readonly Recommendation[];
}

export interface RecommendationView extends Recommendation {
  readonly component: string;
  readonly kind: ReporterKind;
}

export interface PerformanceReportView {
  readonly generated_at: string;
  readonly overall_health: HealthStatus;
  /** Mean of the components' scores; null when nothing reports. */
  readonly efficiency_score: number | null;
  readonly sections: Record<string, ComponentView[]>;
  readonly recommendations: RecommendationView[];
}

/** Section names of the report, by reporter kind; the standard ones are always present. */
const SECTION_OF: Record<string, string> = {
  pool: 'pools',
  cache: 'caches',
  breaker: 'breakers',
  resources: 'resources',
  models: 'models',
};

const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 } as const;

/** Gathers reports from every registered reporter, each bounded by the health-check timeout. */
@Injectable()
export class PerformanceService {
  constructor(
    private readonly reporters: ReporterRegistry,
    @Inject(RESOURCE_REGISTRY) private readonly resources: ResourceRegistry,
    @Inject(BALLAST_CORE_OPTIONS) private readonly options: BallastCoreOptions,
  ) {}

  async components(kind?: ReporterKind): Promise<ComponentView[]> {
    return Promise.all(this.reporters.list(kind).map((reporter) => this.collect(reporter)));
  }

  async report(): Promise<PerformanceReportView> {
    const components = await this.components();
    const sections: Record<string, ComponentView[]> = Object.fromEntries(
      Object.values(SECTION_OF).map((section) => [section, []]),
    );
    for (const component of components) (sections[SECTION_OF[component.kind] ?? component.kind] ??= []).push(component);
    const scores = components.map((c) => c.efficiency_score);
    return {
      generated_at: new Date().toISOString(),
      overall_health: worstHealth(components.map((c) => c.health.status)),
      efficiency_score: scores.length ? Math.round(scores.reduce((a, b) => a + b, 0) / scores.length) : null,
      sections,
      recommendations: recommendationsOf(components),
    };
  }

  async recommendations(kind: ReporterKind): Promise<RecommendationView[]> {
    return recommendationsOf(await this.components(kind));
  }

  get tracking(): boolean {
    return this.resources.tracking;
  }

  async leaks(maxLifetimeMs: number | undefined): Promise<ResourceLeak[]> {
    return redact(await this.resources.detectLeaks(maxLifetimeMs === undefined ? {} : { maxLifetimeMs }));
  }

  private async collect(reporter: PerformanceReporter): Promise<ComponentView> {
    const base = { name: reporter.name, kind: reporter.kind };
    let report: ComponentReport;
    try {
      report = await withDeadline(() => reporter.report(), this.options.health.checkTimeoutMs);
    } catch (error) {
      return {
        ...base,
        health: { status: 'unhealthy', reason: redact(`report failed: ${(error as Error)?.message ?? error}`) },
        efficiency_score: 0,
        metrics: {},
        recommendations: [],
      };
    }
    return redact({
      ...base,
      health: { status: report.health.status, reason: report.health.reason, details: { ...report.health.details } },
      efficiency_score: report.efficiencyScore,
      metrics: { ...report.metrics },
      recommendations: report.recommendations,
    });
  }
}

function recommendationsOf(components: readonly ComponentView[]): RecommendationView[] {
  return components
    .flatMap((c) => c.recommendations.map((r) => ({ ...r, component: c.name, kind: c.kind })))
    .sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
}

import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { MetricsRegistry } from './metric.helpers.js';

import { BALLAST_CORE_OPTIONS, METRICS_REGISTRY } from '../core.constants.js';
import type { BallastCoreOptions } from '../core.options.js';
import { RedactingLogger } from '../redaction/redacting.logger.js';

/**
 * Serves the registry in Prometheus text format. Registered on the HTTP adapter rather than as a
 * controller so its path can come from runtime (async, env-driven) options and stays outside the
 * app's global prefix, where scrapers expect it.
 */
@Injectable()
export class MetricsEndpoint implements OnModuleInit {
  private readonly logger = new RedactingLogger('BallastMetrics');

  constructor(
    @Inject(METRICS_REGISTRY) private readonly registry: MetricsRegistry,
    @Inject(BALLAST_CORE_OPTIONS) private readonly options: BallastCoreOptions,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost?.httpAdapter;
    if (!this.options.metrics.enabled || !adapter) return;
    const { path } = this.options.metrics;
    adapter.get(path, async (_req: unknown, res: unknown) => {
      try {
        const body = await this.registry.metrics();
        adapter.setHeader(res, 'Content-Type', this.registry.contentType);
        adapter.reply(res, body, 200);
      } catch (error) {
        this.logger.error(`Metrics collection failed: ${(error as Error).message}`);
        adapter.reply(res, 'metrics collection failed\n', 500);
      }
    });
  }
}

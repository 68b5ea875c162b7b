import { Inject } from '@nestjs/common';

import { METRICS_REGISTRY } from '../core.constants.js';

/** Injects the app-wide prom-client `Registry` that `/metrics` serves. */
export const InjectMetricsRegistry = (): ParameterDecorator => Inject(METRICS_REGISTRY);

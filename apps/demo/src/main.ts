import 'reflect-metadata';

import {
  BallastExceptionFilter,
  enableAdmissionControl,
  enableGracefulShutdown,
  listenWithServerSettings,
  processEnv,
  RedactingLogger,
} from '@ballast/core';
import { NestFactory } from '@nestjs/core';

import { AppModule } from './app.module.js';
import { demoOptions, logLevelsUpTo } from './config/demo.options.js';

async function bootstrap(): Promise<void> {
  const logger = new RedactingLogger('Demo');
  const { port, host, logLevel } = demoOptions.parse(demoOptions.fromEnv(processEnv));
  const app = await NestFactory.create(AppModule, { logger: logLevelsUpTo(logLevel) });
  // Pool exhausted/unavailable, breaker open, bulkhead full -> 503 + Retry-After; timeouts -> 504.
  app.useGlobalFilters(new BallastExceptionFilter(app.getHttpAdapter()));
  // Sheds with 503 + Retry-After past an adaptive concurrency limit, before requests queue on a pool.
  enableAdmissionControl(app);
  // Instead of app.enableShutdownHooks(): readiness 503 at once, bounded drain, then app.close(), exit 0.
  enableGracefulShutdown(app);
  // Keep-alive 65 s, headers 66 s, backlog 4096 (BALLAST_HTTP_* to change them).
  const server = await listenWithServerSettings(app, port, host);
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  logger.log(`Ballast demo listening on http://localhost:${actualPort}`);
  logger.log(
    `Dashboard: http://localhost:${actualPort}/dashboard - also /health/ready, /metrics, /api/performance/report`,
  );
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

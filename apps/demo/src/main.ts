import 'reflect-metadata';

import { enableAdmissionControl, processEnv, RedactingLogger } from '@ballast/core';
import { NestFactory } from '@nestjs/core';

import { AppModule } from './app.module.js';
import { demoOptions } from './config/demo.options.js';

async function bootstrap(): Promise<void> {
  const logger = new RedactingLogger('Demo');
  const { port, host } = demoOptions.parse(demoOptions.fromEnv(processEnv));
  const app = await NestFactory.create(AppModule);
  // Sheds with 503 + Retry-After past an adaptive concurrency limit, before requests queue on a pool.
  enableAdmissionControl(app);
  // process.exit(0) after the hooks ran, so SIGTERM ends with status 0 rather than re-raising the signal.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  await app.listen(port, host);
  const address = app.getHttpServer().address();
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

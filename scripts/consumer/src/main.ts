import 'reflect-metadata';

import { NestFactory } from '@nestjs/core';

import { AppModule } from './app.module.js';

// No top-level await: the same file is compiled as an ES module and as CommonJS.
async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  // No process.exit: after SIGTERM the process must end by itself, nothing of ours keeping it alive.
  app.enableShutdownHooks(['SIGTERM']);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  console.log(`LISTENING ${typeof address === 'object' && address ? address.port : ''}`);
}

bootstrap().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

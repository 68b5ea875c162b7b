import 'reflect-metadata';

import { NestFactory } from '@nestjs/core';

import { AppModule } from './app.module.js';

// No top-level await: the same file is compiled as an ES module and as CommonJS.
async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  // On SIGTERM: close the app, and no process.exit nor re-raised signal: the process must then end
  // by itself (status 0), which it does only if nothing we opened is left keeping it alive.
  process.once('SIGTERM', () => {
    app.close().then(
      () => console.log(`CLOSED ${JSON.stringify(process.getActiveResourcesInfo())}`),
      (error: unknown) => {
        console.error(error);
        process.exitCode = 1;
      },
    );
  });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  console.log(`LISTENING ${typeof address === 'object' && address ? address.port : ''}`);
}

bootstrap().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

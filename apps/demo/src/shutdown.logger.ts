import { RedactingLogger } from '@ballast/core';
import { Injectable, type BeforeApplicationShutdown, type OnApplicationShutdown } from '@nestjs/common';

/** Says when shutdown starts and ends, so an operator can see how long draining took. */
@Injectable()
export class ShutdownLogger implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new RedactingLogger('Shutdown');
  private startedAt = 0;

  beforeApplicationShutdown(signal?: string): void {
    this.startedAt = performance.now();
    this.logger.log(`Shutting down${signal ? ` on ${signal}` : ''}: draining and closing resources`);
  }

  onApplicationShutdown(): void {
    this.logger.log(`Shutdown complete in ${Math.round(performance.now() - this.startedAt)} ms`);
  }
}

import { createServer } from 'node:http';

import { describe, expect, it } from '@jest/globals';
import { BallastCoreModule, HealthContributorRegistry, healthy } from '@ballast/core';
import { expectNoNewHandles, expectNoOpenHandlesAfter, OpenHandlesError, snapshotHandles } from '@ballast/core/testing';
import { Test } from '@nestjs/testing';
import request from 'supertest';

describe('BallastCoreModule shutdown', () => {
  it('leaves no handle open after app.close(), having served HTTP, metrics and health', async () => {
    await expectNoOpenHandlesAfter(async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [BallastCoreModule.forRoot({ performanceApi: { enabled: true } })],
      }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      await app.listen(0, '127.0.0.1');
      app.get(HealthContributorRegistry).register({ name: 'x', probe: () => healthy() });
      await request(app.getHttpServer()).get('/metrics').expect(200);
      await request(app.getHttpServer()).get('/api/performance/report').expect(200);
      await Promise.all(
        app
          .get(HealthContributorRegistry)
          .checks('readiness')
          .map((check) => check()),
      );
      await app.close();
    });
  });

  it('reports what is left open, so a leak cannot pass', async () => {
    const snapshot = snapshotHandles();
    const server = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const failure = await expectNoNewHandles(snapshot, { settleMs: 50 }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(OpenHandlesError);
      expect((failure as Error).message).toMatch(/TCPServerWrap x1/);
      expect((failure as Error).message).toMatch(/Server listening on/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    await expectNoNewHandles(snapshot);
  });
});

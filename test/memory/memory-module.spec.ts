import { afterEach, describe, expect, it } from '@jest/globals';
import {
  BallastCoreModule,
  HealthContributorRegistry,
  MEMORY_GOVERNOR,
  METRICS_REGISTRY,
  MemoryReservationRefusedError,
  type MemoryGovernorRef,
  type MetricsRegistry,
} from '@ballast/core';
import { expectNoOpenHandlesAfter } from '@ballast/core/testing';
import {
  MemoryGovernorService,
  MemoryModule,
  MemoryShedding,
  MemorySheddingGuard,
  type MemoryModuleOptions,
} from '@ballast/memory';
import { Controller, Get, type INestApplication } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';

@Controller()
class WorkController {
  @Get('work')
  work(): { ok: true } {
    return { ok: true };
  }

  @MemoryShedding(false)
  @Get('drain')
  drain(): { ok: true } {
    return { ok: true };
  }
}

async function startApp(options: MemoryModuleOptions): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [BallastCoreModule.forRoot(), MemoryModule.forRoot(options)],
    controllers: [WorkController],
    providers: [{ provide: APP_GUARD, useExisting: MemorySheddingGuard }],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

describe('MemoryModule in an app', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('with a budget the process already exceeds: critical, sheds new work 503 + Retry-After, refuses reservations', async () => {
    // 16 MB: any Node process is past it, so the first sample is critical.
    app = await startApp({ maxMemoryMb: 16, retryAfterSeconds: 3 });
    const governor = app.get<MemoryGovernorRef>(MEMORY_GOVERNOR);
    expect(governor).toBe(app.get(MemoryGovernorService));
    expect(governor.level).toBe('critical');

    const shed = await request(app.getHttpServer()).get('/work');
    expect(shed.status).toBe(503);
    expect(shed.headers['retry-after']).toBe('3');
    expect(shed.body).toMatchObject({ code: 'memory_pressure', dependency: 'memory' });
    expect((await request(app.getHttpServer()).get('/drain')).status).toBe(200);

    expect(() => governor.reserve(1024, 'upload')).toThrow(MemoryReservationRefusedError);

    const health = app
      .get(HealthContributorRegistry)
      .list('readiness')
      .find((c) => c.name === 'memory');
    expect(health?.critical).toBe(false);
    expect(await health?.probe(AbortSignal.timeout(1_000))).toMatchObject({
      status: 'degraded',
      details: { level: 'critical', source: 'option' },
    });

    const metrics = await app.get<MetricsRegistry>(METRICS_REGISTRY).metrics();
    expect(metrics).toContain('ballast_memory_pressure_level 2');
    expect(metrics).toContain('ballast_memory_budget_bytes{source="option",measure="rss"} 16777216');
    expect(metrics).toMatch(/ballast_memory_shed_total 1\b/);
    expect(metrics).toMatch(/ballast_memory_reservations_refused_total 1\b/);
  });

  it('with room: normal, serves, a reservation is held and given back by `using`', async () => {
    app = await startApp({ maxMemoryMb: 64 * 1024 });
    const governor = app.get<MemoryGovernorRef>(MEMORY_GOVERNOR);
    expect(governor.level).toBe('normal');
    expect((await request(app.getHttpServer()).get('/work')).status).toBe(200);
    const service = app.get(MemoryGovernorService);
    {
      using reservation = governor.reserve(1024 * 1024, 'batch');
      expect(service.governor.reservedBytes).toBe(reservation.bytes);
    }
    expect(service.governor.reservedBytes).toBe(0);
  });

  it('stops its interval and GC observer on close', async () => {
    await expectNoOpenHandlesAfter(async () => {
      const started = await startApp({ sampleIntervalMs: 50 });
      await new Promise((resolve) => setTimeout(resolve, 120));
      await started.close();
    });
  });

  it('stops start-up naming a wrong option', async () => {
    await expect(startApp({ elevatedPercent: 95, criticalPercent: 90 })).rejects.toThrow(/elevatedPercent/);
  });
});

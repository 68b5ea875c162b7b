import { describe, expect, it } from '@jest/globals';
import { BallastCoreModule, enableAdmissionControl } from '@ballast/core';
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';

/** Requests to /slow wait until the test lets them go, so the test decides how many are in flight. */
const gate = { waiting: [] as Array<() => void> };

@Controller()
class SlowController {
  @Get('slow')
  async slow() {
    await new Promise<void>((resolve) => gate.waiting.push(resolve));
    return { ok: true };
  }

  @Get('health/ready')
  ready() {
    return { status: 'ok' };
  }
}

@Module({ imports: [BallastCoreModule.forRoot()], controllers: [SlowController] })
class SlowModule {}

async function startApp(): Promise<{ app: INestApplication; url: string }> {
  const moduleRef = await Test.createTestingModule({ imports: [SlowModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  enableAdmissionControl(app, { initialLimit: 3, minLimit: 1, maxLimit: 3 }, { env: { get: () => undefined } });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${address.port}` };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error('condition not met within 2 s');
}

describe('enableAdmissionControl', () => {
  it('sheds over the limit with 503, Retry-After and a JSON reason, exempts probes, and counts in /metrics', async () => {
    const { app, url } = await startApp();
    try {
      const admitted = [fetch(`${url}/slow`), fetch(`${url}/slow`), fetch(`${url}/slow`)];
      await until(() => gate.waiting.length === 3);

      const shed = await fetch(`${url}/slow`);
      expect(shed.status).toBe(503);
      expect(shed.headers.get('retry-after')).toBe('1');
      expect(await shed.json()).toEqual(
        expect.objectContaining({ statusCode: 503, code: 'shed', dependency: 'admission' }),
      );
      // Probes and scrapes are never shed, however full the service is.
      expect((await fetch(`${url}/health/ready`)).status).toBe(200);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/^ballast_admission_limit 3$/m);
      expect(metrics).toMatch(/^ballast_admission_inflight 3$/m);
      expect(metrics).toMatch(/^ballast_admission_shed_total 1$/m);

      for (const release of gate.waiting.splice(0)) release();
      expect((await Promise.all(admitted)).map((res) => res.status)).toEqual([200, 200, 200]);
      // The slots are free again.
      const again = fetch(`${url}/slow`);
      await until(() => gate.waiting.length === 1);
      gate.waiting.splice(0)[0]!();
      expect((await again).status).toBe(200);
    } finally {
      for (const release of gate.waiting.splice(0)) release();
      await app.close();
    }
  });

  it('stops start-up naming a bad option, and lets everything through when disabled from the environment', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [SlowModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    expect(() => enableAdmissionControl(app, { minLimit: 50, maxLimit: 10, initialLimit: 20 })).toThrow(/minLimit/);
    const env = { get: (name: string) => (name === 'BALLAST_ADMISSION_ENABLED' ? 'false' : undefined) };
    const control = enableAdmissionControl(app, { initialLimit: 1, minLimit: 1, maxLimit: 1 }, { env });
    expect(control.config.enabled).toBe(false);
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as { port: number };
    try {
      const both = [fetch(`http://127.0.0.1:${port}/slow`), fetch(`http://127.0.0.1:${port}/slow`)];
      await until(() => gate.waiting.length === 2);
      for (const release of gate.waiting.splice(0)) release();
      expect((await Promise.all(both)).map((res) => res.status)).toEqual([200, 200]);
    } finally {
      for (const release of gate.waiting.splice(0)) release();
      await app.close();
    }
  });
});

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';

import { AppModule } from '../../apps/demo/src/app.module.js';
import { familiesIn, isExported, metricsReadBy, root } from './rule-files.js';

const run = promisify(execFile);
const dashboardFile = `${root}deploy/grafana/ballast-dashboard.json`;

interface Panel {
  type: string;
  title: string;
  targets?: { expr?: string }[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: { name: string; type: string }[] };
}

describe('Grafana dashboard (deploy/grafana)', () => {
  const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as Dashboard;
  const panels = dashboard.panels.filter((p) => p.type !== 'row');

  it('is what scripts/generate-grafana-dashboard.mjs produces', async () => {
    await expect(
      run(process.execPath, [`${root}scripts/generate-grafana-dashboard.mjs`, '--check']),
    ).resolves.toBeDefined();
  });

  it('has an overview row, one row per module, and variables for data source, instance, pool, cache, breaker', () => {
    expect(dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title)).toEqual([
      'Overview',
      'Pools',
      'Caches',
      'Resilience',
      'Resources (tracker)',
      'Neural',
      'Process',
    ]);
    expect(dashboard.templating.list.map((v) => v.name)).toEqual([
      'datasource',
      'instance',
      'pool',
      'cache',
      'breaker',
    ]);
  });

  it('gives every panel a query, filtered by the instance variable', () => {
    const problems = panels.flatMap((p) => {
      const exprs = (p.targets ?? []).map((t) => t.expr ?? '');
      if (exprs.length === 0) return [`${p.title}: no query`];
      return exprs.filter((e) => !e.includes('$instance')).map((e) => `${p.title}: ${e}`);
    });
    expect(problems).toEqual([]);
  });

  describe('against the demo', () => {
    let app: INestApplication;

    beforeAll(async () => {
      const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
      app = moduleRef.createNestApplication({ logger: false });
      await app.init();
    });

    afterAll(async () => {
      await app.close();
    });

    it("queries only metrics the demo's /metrics exports (lists any panel whose metric does not exist)", async () => {
      const exported = familiesIn((await request(app.getHttpServer()).get('/metrics').expect(200)).text);
      const read = panels.flatMap((p) =>
        (p.targets ?? []).flatMap((t) => metricsReadBy(t.expr ?? '').map((metric) => ({ panel: p.title, metric }))),
      );
      expect(read.length).toBeGreaterThan(panels.length);
      expect(read.filter((r) => !isExported(r.metric, exported)).map((r) => `${r.panel}: ${r.metric}`)).toEqual([]);
    });
  });
});

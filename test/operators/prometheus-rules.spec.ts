import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { parse } from 'yaml';

import { AppModule } from '../../apps/demo/src/app.module.js';
import {
  familiesIn,
  isExported,
  loadRules,
  metricsReadBy,
  root,
  rulesDir,
  rulesFile,
  rulesTestFile,
} from './rule-files.js';

const run = promisify(execFile);

interface RulesTest {
  tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

describe('Prometheus rules (deploy/prometheus)', () => {
  const rules = loadRules();
  const alerts = rules.filter((r) => r.alert !== undefined);

  it('pass `promtool check rules`', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', rulesFile]);
    expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('pass their unit tests (`promtool test rules`)', async () => {
    const { stdout, stderr } = await run('promtool', ['test', 'rules', rulesTestFile], { cwd: rulesDir });
    expect(`${stdout}${stderr}`).toContain('SUCCESS');
  });

  it('have, for every alert, a unit test where it fires and one where it stays quiet', () => {
    const doc = parse(readFileSync(rulesTestFile, 'utf8')) as RulesTest;
    const cases = doc.tests.flatMap((t) => t.alert_rule_test ?? []);
    const missing = alerts.flatMap((a) => {
      const mine = cases.filter((c) => c.alertname === a.alert);
      const gaps: string[] = [];
      if (!mine.some((c) => c.exp_alerts.length > 0)) gaps.push(`${a.alert}: no firing case`);
      if (!mine.some((c) => c.exp_alerts.length === 0)) gaps.push(`${a.alert}: no quiet case`);
      return gaps;
    });
    expect(missing).toEqual([]);
  });

  it('give every alert a severity, a summary and a runbook section that exists in docs/operations.md', () => {
    const operations = readFileSync(`${root}docs/operations.md`, 'utf8');
    const anchors = new Set(
      [...operations.matchAll(/^#{2,4} (.+)$/gm)].map((m) =>
        m[1]!
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    const problems = alerts.flatMap((a) => {
      const out: string[] = [];
      if (!['critical', 'warning', 'info'].includes(a.labels?.severity ?? '')) out.push(`${a.alert}: severity`);
      if (!a.annotations?.summary) out.push(`${a.alert}: summary`);
      const anchor = /^docs\/operations\.md#(.+)$/.exec(a.annotations?.runbook_url ?? '')?.[1];
      if (!anchor || !anchors.has(anchor)) out.push(`${a.alert}: runbook ${a.annotations?.runbook_url}`);
      return out;
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

    it('read only metrics the demo exports', async () => {
      const exposition = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
      const exported = familiesIn(exposition);
      const read = [...new Set(rules.flatMap((r) => metricsReadBy(r.expr)))];
      expect(read.length).toBeGreaterThan(20);
      expect(read.filter((name) => !isExported(name, exported))).toEqual([]);
    });
  });
});

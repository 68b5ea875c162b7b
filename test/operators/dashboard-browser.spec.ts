import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

import { DATABASE_URL } from '../support/services.js';
import { startDemo, type RunningProcess } from './demo-process.js';
import { root } from './rule-files.js';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'browser-test-admin-token';
/** The CI artefact: what the dashboard looked like with the breaker open. */
export const SCREENSHOT = `${root}artifacts/dashboard.png`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Processes whose command line names `dir`: Chromium's, if any outlived the test. */
function processesUsing(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.includes(dir)) found.push(`${pid} ${cmdline.split('\0')[0]}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/**
 * Debian's Chromium, driven by playwright-core (no browser download), on the dashboard of the
 * demo running as its own process: every panel draws data, and a fault injected through the demo
 * shows in the breaker timeline and the recommendations within seconds.
 */
describe('the dashboard in Chromium', () => {
  let demo: RunningProcess;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    expect(statSync(CHROMIUM).isFile()).toBe(true); // .ci/run installs Debian's chromium when missing
    demo = await startDemo({
      DATABASE_URL,
      REDIS_URL: '', // L1-only caches and a local breaker: no state shared with other test runs
      BALLAST_PERFORMANCE_API: 'true',
      BALLAST_ADMIN_TOKEN: TOKEN,
      BALLAST_HISTORY_INTERVAL_MS: '1000',
      BALLAST_METRICS_REPORTER: 'true',
      BALLAST_METRICS_REPORTER_INTERVAL_MS: '1000',
      // A held object counts as leaked after 2 s, so the leak table fills within the test.
      BALLAST_TRACKER_MAX_LIFETIME_MS: '2000',
      BALLAST_TRACKER_SCAN_INTERVAL_MS: '500',
    });
    userDataDir = mkdtempSync(join(tmpdir(), 'ballast-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1440, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await demo?.stop();
    if (userDataDir) {
      // Nothing of the browser may outlive the test.
      expect(processesUsing(userDataDir)).toEqual([]);
      rmSync(userDataDir, { recursive: true, force: true });
    }
  }, 30_000);

  it('asks for the admin token, then renders every section with data', async () => {
    await page.goto(`${demo.url}/dashboard`);
    expect(new URL(page.url()).pathname).toBe('/api/performance/dashboard');
    await page.waitForFunction("document.getElementById('error').textContent.includes('admin token')");

    await page.fill('#token', TOKEN);
    await page.locator('#token').dispatchEvent('change');
    // Traffic for the pools, caches and breaker, and a leak for the tracker.
    for (let i = 0; i < 3; i++) {
      for (const path of ['/tickets', '/ticket-stats', '/upstream/resilient-quote']) {
        expect((await fetch(`${demo.url}${path}`)).status).toBe(200);
      }
    }
    const leak = await fetch(`${demo.url}/demo/leaks?kind=object&count=2&mode=hold`, { method: 'POST' });
    expect(leak.status).toBe(201);

    // Browser-side code as strings: the test is type-checked without the DOM library.
    await page.waitForFunction(
      "[...document.querySelectorAll('figure[data-panel]')].every((f) => Number(f.dataset.points) > 0) && document.querySelectorAll('figure[data-panel]').length > 0",
      undefined,
      { timeout: 20_000 },
    );
    const panels = await page.evaluate<{ id: string; series: number; canvas: boolean }[]>(
      "[...document.querySelectorAll('figure[data-panel]')].map((f) => ({ id: f.dataset.panel, series: Number(f.dataset.series), canvas: f.querySelector('canvas') !== null }))",
    );
    expect(panels.map((p) => p.id)).toEqual([
      'pool-utilisation',
      'pool-wait',
      'cache-hit-rate',
      'cache-bytes',
      'breaker-states',
      'resources',
      'model-bytes',
      'memory-budget',
      'memory-pressure',
      'event-loop',
      'memory',
    ]);
    // The demo's memory governor: used, elevated, critical and limit, and its level.
    expect(panels.filter((p) => p.id.startsWith('memory-')).map((p) => [p.id, p.series])).toEqual([
      ['memory-budget', 4],
      ['memory-pressure', 1],
    ]);
    for (const panel of panels) {
      expect(panel.series).toBeGreaterThan(0);
      // Line panels are uPlot canvases; the breaker timeline is rows of coloured runs.
      expect(panel.canvas).toBe(panel.id !== 'breaker-states');
    }
    // A laptop-sized window: the charts follow their figures instead of overflowing them.
    const overflowing =
      "[...document.querySelectorAll('figure[data-panel] canvas')].filter((c) => c.getBoundingClientRect().width > c.closest('figure').clientWidth).length";
    await page.setViewportSize({ width: 900, height: 800 });
    await page.waitForFunction(`${overflowing} === 0`, undefined, { timeout: 5_000 });
    await page.setViewportSize({ width: 1440, height: 900 });
    await expect(page.locator('.timeline-row[data-breaker="upstream"]').getAttribute('data-state')).resolves.toBe(
      'closed',
    );
    expect(await page.locator('#overall').textContent()).toMatch(/^(healthy|degraded)$/);
    expect(await page.locator('#components .badge').count()).toBeGreaterThanOrEqual(5);
    await page.waitForSelector('#leaks tr[data-owner="LeakDemoController"]', { timeout: 15_000 });
    expect(await page.locator('#leaks tr[data-owner="LeakDemoController"] td').nth(1).textContent()).toBe('2');
    expect(await page.locator('#error').textContent()).toBe('');
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('shows the breaker open on its timeline and in the recommendations once the upstream fails', async () => {
    const before = await page.locator('#recommendations li').allTextContents();
    expect(before.join('\n')).not.toContain('breaker upstream is open');
    expect((await fetch(`${demo.url}/upstream/mode?mode=unavailable`, { method: 'POST' })).status).toBe(200);
    let calling = true;
    const calls = (async () => {
      while (calling) {
        await fetch(`${demo.url}/upstream/resilient-quote`).then((r) => r.arrayBuffer());
        await sleep(100);
      }
    })();
    try {
      const started = Date.now();
      await page.waitForSelector('.timeline-row[data-breaker="upstream"][data-state="open"]', { timeout: 15_000 });
      await page.waitForFunction(
        "[...document.querySelectorAll('#recommendations li')].some((li) => li.textContent.includes('breaker upstream is open'))",
        undefined,
        { timeout: 10_000 },
      );
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(await page.locator('.timeline-row[data-breaker="upstream"] .bar span.st-2').count()).toBeGreaterThan(0);
      mkdirSync(`${root}artifacts`, { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
    } finally {
      calling = false;
      await calls;
      await fetch(`${demo.url}/upstream/mode?mode=ok`, { method: 'POST' });
      await fetch(`${demo.url}/demo/leaks`, { method: 'DELETE' });
    }
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('logs the metrics reporter line every interval, with the traffic it saw', () => {
    const lines = demo
      .output()
      .split('\n')
      .filter((l) => l.includes('"event":"ballast.metrics"'));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    const figures = lines.map((l) => JSON.parse(l.slice(l.indexOf('{'))) as Record<string, number | null>);
    expect(figures.some((f) => (f.pool_acquires_per_s ?? 0) > 0)).toBe(true);
    expect(figures.some((f) => (f.breaker_rejections ?? 0) > 0)).toBe(true);
    expect(figures.every((f) => (f.rss_bytes ?? 0) > 1e6)).toBe(true);
  });
});

/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core, headless, kept off
 * the network) over a store filled by real `shipgate run`s: each view is opened, what it shows is
 * asserted, no console error (a CSP violation is one) and no dialog may occur, and a screenshot of
 * each view is kept under test-artifacts/serve/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, removeProject } from '../e2e/helpers.js';
import { QUARANTINE_UNTIL, seedHistory, XSS_TEST, type SeededHistory } from './seed.js';
import { startServe, type ServeProcess } from './serve-process.js';

const SHOTS = join(REPO, 'test-artifacts', 'serve');
const XSS_ID = `app.Xss::${XSS_TEST}`;

let history: SeededHistory;
let serve: ServeProcess;
let browser: Browser;
let page: Page;
const problems: string[] = [];
const dialogs: string[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  history = await seedHistory();
  serve = await startServe(history.dir);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  // Nothing but the dashboard may be fetched: any other request is a failure.
  await page.route('**/*', (route) => (route.request().url().startsWith(serve.url) ? route.continue() : (problems.push(`request off the dashboard: ${route.request().url()}`), route.abort())));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  if (history) await removeProject(history.dir);
});

const runId = (version: string) => history.runs.find((r) => r.version === version)!.decision.runId;

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

describe('the dashboard in Chromium', () => {
  it('runs → a BLOCKED run → a test’s history, with hostile names shown as text', async () => {
    await page.goto(serve.url);
    const rows = page.locator('table.runs tbody tr');
    expect(await rows.count()).toBe(5);
    expect(await rows.nth(0).innerText()).toMatch(/1\.0\.4[\s\S]*READY/);
    expect(await rows.nth(1).innerText()).toMatch(/1\.0\.3[\s\S]*BLOCKED/);
    expect(await page.locator('.store').innerText()).toMatch(/^Store: sqlite, [\d.]+ (KB|MB)$/);
    await shot('runs');

    // The decision filter narrows the list.
    await page.selectOption('select[name=decision]', 'BLOCKED');
    await page.click('button[type=submit]');
    await page.waitForURL(/decision=BLOCKED/);
    expect(await page.locator('table.runs tbody tr').count()).toBe(1);

    await page.click(`tr[data-run="${runId('1.0.3')}"] a.run-link`);
    await page.waitForURL(new RegExp(`/runs/${runId('1.0.3')}`));
    const why = await page.locator('#why').innerText();
    expect(why).toMatch(/^BLOCKED because unit: 2 of 4 tests failed; .*metric\.parse_ms within baseline.*sign-off: awaiting approval for 1\.0\.3/);
    expect(await page.locator('table.drift').innerText()).toMatch(/bench\s+metric\.parse_ms within baseline[\s\S]*170ms \(\+70\.0%\)\s+FAIL/);
    expect(await page.locator('pre.summary').innerText()).toContain('RESULT: RELEASE BLOCKED');
    const xssLink = page.locator('.failing a.test-link', { hasText: XSS_TEST });
    expect(await xssLink.count()).toBe(1);
    expect(await xssLink.innerText()).toBe(XSS_ID);
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.locator('ul.logs a').allInnerTexts()).toEqual(['gate-bench.log', 'gate-unit.log']);
    expect(await page.locator('table.requirements tbody').innerText()).toMatch(/^calc The calculator works\tPASS\tunit: 2\/2\t/);
    await shot('run');

    await xssLink.click();
    await page.waitForURL(/\/tests\?/);
    expect(await page.locator('#test-id').innerText()).toBe(XSS_ID);
    const history5 = page.locator('table.test-runs tbody tr');
    expect(await history5.count()).toBe(5);
    expect(await history5.nth(1).locator('td.status').innerText()).toBe('failed');
    expect(await history5.nth(1).locator('pre').innerText()).toBe(`boom ${XSS_TEST}`);
    expect(await page.locator('main img').count()).toBe(0);
    await shot('test');
  });

  it('a READY run shows its approval (escaped) and a log opens as text', async () => {
    await page.goto(`${serve.url}runs/${runId('1.0.4')}`);
    expect(await page.locator('#why').innerText()).toBe('READY: every blocking gate passed on evidence.');
    expect(await page.locator('table.approvals tbody').innerText()).toMatch(/sign-off\s+alice[\s\S]*release 1\.0\.4 <b>ok<\/b>/);
    expect(await page.locator('table.approvals b').count()).toBe(0);
    await page.click('ul.logs a:text("gate-unit.log")');
    expect(await page.locator('body').innerText()).toContain('emit');
  });

  it('trends draw their charts from the API (uPlot), with the metric band', async () => {
    await page.goto(`${serve.url}trends`);
    await page.waitForSelector('#charts[data-ready="1"]');
    const titles = await page.locator('.chart h3').allInnerTexts();
    expect(titles.slice(0, 4)).toEqual(['Decision (1 READY, 0 BLOCKED)', 'Run duration (s)', 'Gate duration (s)', 'Tests and pass rate']);
    // Every recorded metric has its chart: the drifting one, and the test counts the store keeps as metrics.
    expect(titles).toContain('bench/metric.parse_ms (ms)');
    expect(titles.some((t) => t.startsWith('unit/tests.pass-rate'))).toBe(true);
    expect(await page.locator('.chart canvas').count()).toBe(titles.length);
    expect(await page.locator('table.metrics tbody').innerText()).toMatch(/bench\/metric\.parse_ms \(ms\)\s+100\s+[\d.]+\s+4\s+\S+/);
    await shot('trends');
  });

  it('flaky tests are ranked with their history strip; slowest and most failing are listed', async () => {
    await page.goto(`${serve.url}flaky`);
    const first = page.locator('table.flaky tbody tr').first();
    expect(await first.locator('td').first().innerText()).toBe('app.Net::connects');
    expect(await first.locator('.strip').innerText()).toBe('RPPFP');
    expect(await first.locator('td').nth(5).innerText()).toBe(`quarantined until ${QUARANTINE_UNTIL} flaky socket, tracked in #42`);
    expect(await page.locator('table.most-failing').innerText()).toContain(XSS_ID);
    expect(await page.locator('table.slowest tbody tr').count()).toBe(4);
    expect(await page.locator('main img').count()).toBe(0);
    await shot('flaky');
  });

  it('delivery shows time to detect and to recover per week, and retry rates', async () => {
    await page.goto(`${serve.url}delivery`);
    const week = await page.locator('table.weeks tbody tr').allInnerTexts();
    expect(week).toHaveLength(1);
    // Week, incidents, MTTD, MTTR (both known: the commit is in this checkout), still open.
    expect(week[0]).toMatch(/^\d{4}-\d\d-\d\d\t1\t[\d.]+ m?s\t[\d.]+ m?s\t0$/);
    expect(await page.locator('table.incidents tbody').innerText()).toMatch(new RegExp(`^main\t${runId('1.0.3')}\t${history.sha.slice(0, 12)}\t[\\d.]+ m?s\t${runId('1.0.4')}\t[\\d.]+ m?s$`));
    expect(await page.locator('table.retries').innerText()).toMatch(/unit\s+0\/5 runs\s+0%/);
    await shot('delivery');
  });

  it('releases show last-good per branch and the publish', async () => {
    await page.goto(`${serve.url}releases`);
    expect(await page.locator('table.last-good tbody').innerText()).toMatch(new RegExp(`main\\s+1\\.0\\.4\\s+${history.sha.slice(0, 12)}\\s+${runId('1.0.4')}`));
    expect(await page.locator('table.actions tbody').innerText()).toMatch(/^publish\t[^\t]+\t-\t1\.0\.4\tDONE\t/);
    await shot('releases');
  });

  it('had no console error, no failed script, no request off the dashboard, and no dialog', () => {
    expect(problems).toEqual([]);
    expect(dialogs).toEqual([]);
  });
});

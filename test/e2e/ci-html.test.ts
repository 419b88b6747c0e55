/**
 * The HTML report in a real Chromium (playwright-core, /usr/bin/chromium, headless), opened from
 * disk with no server: the summary, diagnostics, requirements and drift are there; a test named
 * `<img src=x onerror=alert(1)>` is text; no script runs, no request leaves the page, the strict
 * CSP allows the inline style (the page is styled) and nothing else.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatHtml } from '../../src/report/html.js';
import { hostileDecision } from '../fixtures/ci/decisions.js';
import { SECRET, ciProject } from '../fixtures/ci/project.js';
import { removeProject, runCli } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const dirs: string[] = [];
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with apt-get install -y chromium`);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
});
afterAll(async () => {
  await browser?.close();
  for (const d of dirs) await removeProject(d);
});

async function open(file: string) {
  const page = await browser.newPage();
  const requests: string[] = [];
  const blocked: string[] = [];
  const dialogs: string[] = [];
  const consoleErrors: string[] = [];
  // What was fetched (answered); a request the CSP stopped fails with ERR_BLOCKED_BY_CSP.
  page.on('response', (r) => requests.push(r.url()));
  page.on('requestfailed', (r) => blocked.push(`${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, requests, blocked, dialogs, consoleErrors };
}

describe('HTML report', () => {
  it('from a blocked run: opens from disk with every section, hostile names as text, no script, no network', async () => {
    const dir = await ciProject({ fail: true });
    dirs.push(dir);
    const r = await runCli(['run', '1.2.3', '--no-history', '--report', 'html'], { cwd: dir, env: { API_TOKEN: SECRET } });
    expect(r.code).toBe(1);
    const file = join(dir, '.shipgate', 'reports', 'report.html');
    expect(await readFile(file, 'utf8')).not.toContain(SECRET);
    const { page, requests, blocked, dialogs, consoleErrors } = await open(file);
    expect(blocked).toEqual([]);
    expect(await page.title()).toBe('RELEASE BLOCKED — demo v1.2.3');
    expect(await page.locator('#result').textContent()).toBe('RELEASE BLOCKED — demo v1.2.3');
    for (const id of ['summary', 'diagnostics', 'requirements', 'drift']) expect(await page.locator(`section#${id}`).count()).toBe(1);
    const body = (await page.locator('body').textContent()) ?? '';
    expect(body).toContain('<img src=x onerror=alert(1)>');
    expect(body).toContain('##vso[task.complete result=Succeeded]');
    expect(await page.locator('img, script, iframe, object, embed, form').count()).toBe(0);
    expect(dialogs).toEqual([]);
    // Only the file itself was loaded.
    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(consoleErrors).toEqual([]);
    // The stylesheet applied under the CSP: the blocked heading is red, the FAIL cell bold.
    expect(await page.evaluate("getComputedStyle(document.querySelector('h1')).color")).toBe('rgb(207, 34, 46)');
    expect(await page.evaluate("getComputedStyle(document.querySelector('td.s-fail')).fontWeight")).toBe('600');
    await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
    await page.close();
  });

  it('the CSP blocks what a slipped-through string could do: an injected script and image do not run or load', async () => {
    // Simulate an escaping bug: put raw markup into the page after rendering.
    const html = formatHtml(hostileDecision()).replace('<footer', '<script>window.__pwned = 1</script><img src="http://127.0.0.1:9/x.png" onerror="window.__pwned = 2"><footer');
    const dir = await ciProject({ fail: false });
    dirs.push(dir);
    const file = join(dir, 'tampered.html');
    await writeFile(file, html);
    const { page, requests, blocked, consoleErrors } = await open(file);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(blocked).toEqual(['http://127.0.0.1:9/x.png csp']); // Chromium's reason: blocked by the CSP
    expect(consoleErrors.some((m) => /Content Security Policy/.test(m))).toBe(true);
    await page.close();
  });

  it('a ready run reads READY with its drift section', async () => {
    const dir = await ciProject({ fail: false });
    dirs.push(dir);
    const r = await runCli(['run', '1.2.3', '--no-history', '--report', 'html=out/r.html'], { cwd: dir });
    expect(r.code).toBe(0);
    const { page } = await open(join(dir, 'out', 'r.html'));
    expect(await page.locator('h1.ready').textContent()).toBe('RELEASE READY — demo v1.2.3');
    expect(await page.locator('section#drift').textContent()).toContain('No check compares with a baseline.');
    await page.close();
  });
});

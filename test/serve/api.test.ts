/**
 * The dashboard's HTTP surface on both backends: a real server on 127.0.0.1 over a real store
 * (SQLite file, PostgreSQL schema). Every endpoint, the escaping of hostile names, bad query
 * strings, log paths, methods, the Host check, and that serving writes nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rulesFromConfig } from '../../src/policy/quarantine.js';
import { CSP } from '../../src/serve/app.js';
import { gitCommitTimes } from '../../src/serve/git-times.js';
import { startServer } from '../../src/serve/server.js';
import { openStore, type Store } from '../../src/store/store.js';
import { gate, postgresBackend, record, sqliteBackend, test, type Backend } from '../fixtures/store/helpers.js';
import { get, page } from './http.js';

const XSS = '<img src=x onerror=alert(1)>';
const backends: Backend[] = [sqliteBackend(), postgresBackend()];
afterAll(async () => {
  for (const b of backends) await b.cleanup();
});

const P = 'web-shop';
const counts = { total: 3, passed: 1, failed: 2, errors: 0, skipped: 0, flaky: 0, quarantined: 0 };

async function fill(store: Store): Promise<void> {
  const t = (s: 'passed' | 'failed') => [test('api::login', s, { message: s === 'failed' ? 'expected 200, got 500' : undefined }), test(`ui::${XSS}`, s, { message: `<script>alert("m")</script>` }), test('api::health')];
  for (let i = 0; i < 4; i++) await record(store, { project: P, id: `run-${i}`, version: `1.0.${i}`, tests: t(i === 1 || i === 3 ? 'failed' : 'passed'), result: i === 1 || i === 3 ? 'BLOCKED' : 'READY', metrics: [{ name: 'metric.parse_ms', value: 100 + i, unit: 'ms' }] });
  await record(store, {
    project: P,
    id: 'run-blocked',
    version: '2.0.0',
    result: 'BLOCKED',
    branch: `rel/${XSS}`,
    tests: t('failed'),
    gates: [
      gate('unit', {
        status: 'fail',
        counts,
        checks: [{ check: 'tests.failed == 0', expected: '0', actual: '2', ok: false }],
        failingTests: [{ id: `ui::${XSS}`, status: 'failed', message: `<script>alert("m")</script>` }],
      }),
      gate('bench', { checks: [{ check: 'metric.parse_ms within baseline', expected: 'at most 20% above 100ms', actual: '170ms (+70%)', ok: false, message: 'drifted' }] }),
    ],
  });
  await store.addApproval({ project: P, gate: 'sign-off', version: '2.0.0', commit: 'c0', by: `mallory ${XSS}`, at: new Date().toISOString(), note: '<b>fine</b>' });
  await store.addQuarantine({ project: P, tests: ['api::login'], reason: 'tracked in #7', until: '2099-01-01' });
  await store.addAction({ id: 'rb-1', project: P, kind: 'rollback', by: 'ann', fromVersion: '2.0.0', toVersion: '1.0.2', toCommit: 'c0', runId: 'run-2', forced: false, startedAt: new Date().toISOString(), endedAt: null, durationMs: null, result: 'running', steps: [] });
}

describe.each(backends)('serve API: $name', (backend) => {
  let store: Store;
  let where: ReturnType<Backend['fresh']>;
  let base: string;
  let close: () => Promise<void>;
  const runsDir = mkdtempSync(join(tmpdir(), 'shipgate-serve-runs-'));

  beforeAll(async () => {
    where = backend.fresh();
    store = await openStore(where);
    await fill(store);
    mkdirSync(join(runsDir, 'run-blocked'));
    writeFileSync(join(runsDir, 'run-blocked', 'gate-unit.log'), `FAIL ${XSS}\n`);
    writeFileSync(join(runsDir, 'run-blocked', 'decision.json'), '{}');
    symlinkSync('/etc/passwd', join(runsDir, 'run-blocked', 'evil.log'));
    writeFileSync(join(runsDir, 'secret.log'), 'outside any run folder\n');
    const server = await startServer(
      { store, project: P, runsDir, configQuarantine: rulesFromConfig([]), commitTimes: gitCommitTimes(runsDir), now: () => new Date() },
      { host: '127.0.0.1', port: 0 },
    );
    base = server.url;
    close = server.close;
  });
  afterAll(async () => {
    await close?.();
    await store?.close();
    rmSync(runsDir, { recursive: true, force: true });
  });

  it('answers every API endpoint with the view data', async () => {
    const runs = (await get(base, '/api/runs')).json<{ runs: { id: string }[]; store: { bytes: number; kind: string } }>();
    expect(runs.runs.map((r) => r.id)).toEqual(['run-blocked', 'run-3', 'run-2', 'run-1', 'run-0']);
    expect(runs.store).toMatchObject({ kind: backend.name });
    expect(runs.store.bytes).toBeGreaterThan(0);
    expect((await get(base, '/api/runs?decision=READY&limit=1')).json<{ runs: { id: string }[]; next: string }>()).toMatchObject({ runs: [{ id: 'run-2' }], next: 'run-2' });
    expect((await get(base, '/api/runs?before=run-2')).json<{ runs: { id: string }[] }>().runs.map((r) => r.id)).toEqual(['run-1', 'run-0']);
    expect((await get(base, '/api/runs?version=1.0.1')).json<{ runs: { id: string }[] }>().runs.map((r) => r.id)).toEqual(['run-1']);
    expect((await get(base, `/api/runs?branch=${encodeURIComponent(`rel/${XSS}`)}`)).json<{ runs: { id: string }[] }>().runs.map((r) => r.id)).toEqual(['run-blocked']);

    const run = (await get(base, '/api/runs/run-blocked')).json<{ why: string; drift: unknown[]; approvals: { by: string }[]; logs: { name: string }[]; summary: string }>();
    expect(run.why).toBe('BLOCKED because build failed.');
    expect(run.drift).toEqual([expect.objectContaining({ gate: 'bench', verdict: 'fail', actual: '170ms (+70%)' })]);
    expect(run.approvals.map((a) => a.by)).toEqual([`mallory ${XSS}`]);
    expect(run.logs.map((l) => l.name)).toEqual(['gate-unit.log']);
    expect(run.summary).toContain('RESULT: RELEASE BLOCKED');

    const trends = (await get(base, '/api/trends')).json<{ runs: unknown[]; metrics: { key: string; band: { median: number } | null; points: { outside: boolean }[] }[] }>();
    expect(trends.runs).toHaveLength(5);
    // The band is made of the READY runs only (run-0 and run-2: too few for a band).
    expect(trends.metrics).toEqual([expect.objectContaining({ key: 'bench/metric.parse_ms', band: null })]);
    expect(trends.metrics[0]!.points).toHaveLength(4);

    const flaky = (await get(base, '/api/flaky')).json<{ flaky: { testId: string; quarantine: unknown }[]; mostFailing: { testId: string; failures: number }[]; slowest: { tests: unknown[] } }>();
    expect(flaky.flaky.map((f) => f.testId).sort()).toEqual(['api::login', `ui::${XSS}`]);
    expect(flaky.flaky.find((f) => f.testId === 'api::login')!.quarantine).toMatchObject({ reason: 'tracked in #7', expired: false });
    expect(flaky.mostFailing.map((m) => `${m.testId} ${m.failures}`).sort()).toEqual(['api::login 3', `ui::${XSS} 3`]);
    expect(flaky.slowest.tests.length).toBe(3);

    const one = (await get(base, `/api/tests?id=${encodeURIComponent(`ui::${XSS}`)}`)).json<{ runs: { status: string; message: string | null }[] }>();
    expect(one.runs.map((r) => r.status)).toEqual(['failed', 'failed', 'passed', 'failed', 'passed']);
    expect(one.runs[0]!.message).toBe('<script>alert("m")</script>');

    const delivery = (await get(base, '/api/delivery')).json<{ incidents: { blockedRunId: string; recoveredRunId: string | null; detectMs: number | null }[]; unknownCommitTimes: number; retryRates: unknown[] }>();
    expect(delivery.incidents.map((i) => [i.blockedRunId, i.recoveredRunId])).toEqual([
      ['run-1', 'run-2'],
      ['run-3', null],
      ['run-blocked', null], // the first run on its branch, BLOCKED
    ]);
    // The commits are not in a git checkout here: detect time is unknown, and said so.
    expect(delivery.incidents[0]!.detectMs).toBeNull();
    expect(delivery.unknownCommitTimes).toBe(1);

    const releases = (await get(base, '/api/releases')).json<{ lastGood: { branch: string; run: { id: string } | null }[]; actions: { id: string }[] }>();
    expect(releases.lastGood).toEqual([
      { branch: 'main', run: expect.objectContaining({ id: 'run-2' }) },
      { branch: `rel/${XSS}`, run: null },
    ]);
    expect(releases.actions.map((a) => a.id)).toEqual(['rb-1']);
    expect((await get(base, '/api/store')).json()).toMatchObject({ kind: backend.name, readOnly: true });
  });

  it('serves every page as HTML with the strict CSP, and hostile names only as text', async () => {
    const paths = ['/', '/runs/run-blocked', '/trends', '/flaky', `/tests?id=${encodeURIComponent(`ui::${XSS}`)}`, '/delivery', '/releases'];
    for (const path of paths) {
      const r = await page(base, path);
      expect(r.status, path).toBe(200);
      expect(r.headers['content-type'], path).toMatch(/^text\/html/);
      expect(r.headers['content-security-policy'], path).toBe(CSP);
      expect(r.headers['x-content-type-options'], path).toBe('nosniff');
      expect(r.body, path).not.toContain('<img src=x');
      expect(r.body, path).not.toContain('<script>alert');
      expect(r.body, path).not.toMatch(/<script(?![^>]*\bsrc="\/static\/)/);
      // No event handler or style attribute in any real tag (quoted values, escaped, taken out first).
      expect(r.body.replace(/"[^"]*"/g, '""'), path).not.toMatch(/<[a-z][^>]*\s(on[a-z]+|style)=/i);
    }
    const run = await page(base, '/runs/run-blocked');
    expect(run.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(run.body).toContain('<p class="why" id="why">BLOCKED because build failed.</p>');
    expect(run.body).toContain('metric.parse_ms within baseline');
    expect(run.body).toContain('mallory &lt;img');
    expect(run.body).toContain('href="/runs/run-blocked/logs/gate-unit.log?project=web-shop"');
    expect((await page(base, '/')).body).toContain(`<option value="rel/&lt;img src=x onerror=alert(1)&gt;"`);
    for (const name of ['app.js', 'app.css', 'uplot.js', 'uplot.css']) expect((await get(base, `/static/${name}`)).status, name).toBe(200);
  });

  it('serves a run folder log as sandboxed text; nothing else, however the path is spelled', async () => {
    const ok = await get(base, '/runs/run-blocked/logs/gate-unit.log');
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(ok.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
    expect(ok.body).toBe(`FAIL ${XSS}\n`);
    const hostile = [
      '/runs/run-blocked/logs/evil.log', // a symlink to /etc/passwd
      '/runs/run-blocked/logs/decision.json',
      '/runs/run-blocked/logs/..%2F..%2F..%2Fetc%2Fpasswd',
      '/runs/run-blocked/logs/%2e%2e%2fsecret.log',
      '/runs/run-blocked/logs/..%252Fsecret.log',
      '/runs/run-blocked/logs/../../secret.log',
      '/runs/..%2F/logs/secret.log',
      '/runs/run-1/logs/gate-unit.log',
      '/runs/run-blocked/logs/gate-unit.log%00.txt',
    ];
    for (const path of hostile) {
      const r = await get(base, path);
      expect([400, 404], `${path} → ${r.status} ${r.body}`).toContain(r.status);
      expect(r.body, path).not.toContain('root:');
      expect(r.body, path).not.toContain('outside any run folder');
    }
  });

  it('answers bad query strings and unknown things with 400/404 JSON errors with a code, never a stack', async () => {
    const bad: [string, number, string][] = [
      ['/api/runs?limit=100000000000', 400, 'SERVE_BAD_QUERY'],
      ['/api/runs?limit=abc', 400, 'SERVE_BAD_QUERY'],
      ['/api/runs?decision=MAYBE', 400, 'SERVE_BAD_QUERY'],
      ['/api/runs?before=../../etc/passwd', 400, 'SERVE_BAD_QUERY'],
      ['/api/runs?nope=1', 400, 'SERVE_BAD_QUERY'],
      ['/api/runs?limit=1&limit=2', 400, 'SERVE_BAD_QUERY'],
      [`/api/runs?branch=${'b'.repeat(5000)}`, 400, 'SERVE_BAD_QUERY'],
      ['/api/runs?version=%00', 400, 'SERVE_BAD_QUERY'],
      ['/api/flaky?window=0', 400, 'SERVE_BAD_QUERY'],
      ['/api/trends?limit=1000000', 400, 'SERVE_BAD_QUERY'],
      ['/api/tests', 400, 'SERVE_BAD_QUERY'],
      ['/api/runs/%E0%A4%A', 400, 'SERVE_BAD_QUERY'],
      ['/api/runs/no-such-run', 404, 'SERVE_NOT_FOUND'],
      ['/api/nothing', 404, 'SERVE_NOT_FOUND'],
      ['/static/../package.json', 404, 'SERVE_NOT_FOUND'],
      ['/static/app.ts', 404, 'SERVE_NOT_FOUND'],
    ];
    for (const [path, status, code] of bad) {
      const r = await get(base, path);
      expect(r.status, path).toBe(status);
      expect(r.json<{ error: { code: string } }>().error.code, path).toBe(code);
      expect(r.body, path).not.toMatch(/\bat .*\.(ts|js):\d+/);
    }
    // The page for a bad query is HTML, with the message escaped.
    const html = await page(base, `/?decision=${encodeURIComponent(XSS)}`);
    expect(html.status).toBe(400);
    expect(html.body).toContain('&lt;img');
    expect(html.body).not.toContain('<img');
  });

  it('writes nothing: other methods are refused, and the store is the same after every request', async () => {
    const before = await backend.raw(where, 'select (select count(*) from runs) as runs, (select count(*) from approvals) as a, (select count(*) from quarantine) as q, (select count(*) from actions) as x');
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await get(base, '/api/runs', { method });
      expect(r.status, method).toBe(405);
      expect(r.json<{ error: { code: string } }>().error.code).toBe('SERVE_READ_ONLY');
    }
    // A run whose recording process is gone is shown as interrupted, and that is not written back.
    await record(store, { project: P, id: 'run-dead' }, { finish: false });
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    await backend.raw(where, 'update runs set pid = $1, host = $2 where id = $3', [dead, hostname(), 'run-dead']);
    const before2 = await backend.raw(where, 'select (select count(*) from runs) as runs, (select count(*) from approvals) as a, (select count(*) from quarantine) as q, (select count(*) from actions) as x');
    expect((await get(base, '/api/runs/run-dead')).json<{ run: { state: string } }>().run.state).toBe('interrupted');
    for (const path of ['/', '/api/runs', '/api/runs/run-blocked', '/api/trends', '/api/flaky', '/api/delivery', '/api/releases', '/api/store']) {
      expect((await get(base, path)).status, path).toBe(200);
      const head = await get(base, path, { method: 'HEAD' });
      expect(head.status, `HEAD ${path}`).toBe(200);
      expect(head.body).toBe('');
    }
    expect((await backend.raw(where, 'select state from runs where id = $1', ['run-dead']))[0]?.state).toBe('running');
    const after = await backend.raw(where, 'select (select count(*) from runs) as runs, (select count(*) from approvals) as a, (select count(*) from quarantine) as q, (select count(*) from actions) as x');
    expect(after).toEqual(before2);
    expect(Number(before2[0]!.runs)).toBe(Number(before[0]!.runs) + 1);
  });

  it('on loopback without a token answers only requests addressed to loopback (no DNS rebinding)', async () => {
    const r = await get(base, '/api/runs', { headers: { host: 'attacker.example:80' } });
    expect(r.status).toBe(403);
    expect(r.json<{ error: { code: string } }>().error.code).toBe('SERVE_FORBIDDEN_HOST');
    expect((await get(base, '/api/runs', { headers: { host: `localhost:${new URL(base).port}` } })).status).toBe(200);
  });
});

describe('serve with a token', () => {
  const backend = backends[0]!;
  let store: Store;
  let base: string;
  let close: () => Promise<void>;
  const token = 'tok-0123456789abcdef';

  beforeAll(async () => {
    store = await openStore(backend.fresh());
    await fill(store);
    const server = await startServer(
      { store, project: P, runsDir: tmpdir(), configQuarantine: [], commitTimes: gitCommitTimes(tmpdir()), now: () => new Date() },
      { host: '127.0.0.1', port: 0, token },
    );
    base = server.url;
    close = server.close;
  });
  afterAll(async () => {
    await close?.();
    await store?.close();
  });

  it('refuses a missing or wrong token on every path (static files too); takes the right one as Bearer, once by ?token= (then a cookie)', async () => {
    for (const path of ['/', '/api/runs', '/static/app.js', '/runs/run-1', '/nothing']) {
      const r = await get(base, path);
      expect(r.status, path).toBe(401);
      expect(r.json<{ error: { code: string } }>().error.code).toBe('SERVE_UNAUTHORIZED');
      expect(r.headers['www-authenticate']).toContain('Bearer');
    }
    for (const wrong of [`${token}x`, token.slice(0, -1), '', 'x'.repeat(10_000)]) {
      const r = await get(base, '/api/runs', { headers: { authorization: `Bearer ${wrong}` } });
      expect(r.status, wrong.slice(0, 20)).toBe(401);
    }
    expect((await get(base, `/api/runs?token=${token}x`)).status).toBe(401);
    expect((await get(base, '/api/runs', { headers: { cookie: 'shipgate_token=nope' } })).status).toBe(401);
    expect((await get(base, '/api/runs', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const login = await page(base, `/flaky?token=${token}&window=5`);
    expect(login.status).toBe(303);
    expect(login.headers.location).toBe('/flaky?window=5');
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const after = await page(base, '/flaky?window=5', { cookie: cookie.split(';')[0]! });
    expect(after.status).toBe(200);
    // With a token, the Host header no longer matters (the token is the protection).
    expect((await get(base, '/api/runs', { headers: { authorization: `Bearer ${token}`, host: 'dash.example' } })).status).toBe(200);
  });
});

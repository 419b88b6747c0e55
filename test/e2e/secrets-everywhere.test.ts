/**
 * Secrets stay secret in everything shipgate writes or prints — the terminal, the run folder,
 * decision JSON, the SQLite history file, `show`, `history`, `notes` — including text that comes
 * from reports (test names, failure messages, findings) and from URLs; and the history store's own
 * credentials never reach a gate or a service.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PG_URL } from '../fixtures/store/helpers.js';
import { makeProject, parseDecision, removeProject, runCli } from './helpers.js';

const TOKEN = 'tok-3f9a1c77e2b4d0'; // API_TOKEN: secret by its name
const DEPLOY = 'dep-8c1e2a9f5b7d33'; // DEPLOY_ID: secret because the config says so
const KEYCODE = 'kc-55aa19e0d4c2f1'; // RELEASE_KEYCODE: secret because --secret says so
const URL_PW = 'urlpw-90d1e7c3b2'; // the password inside REDIS_URL
const INLINE_PW = 'inline-pw-4471ab'; // a password in a URL a test prints, in no variable at all
/** Secret by the usual names: a webhook, an SSH key, a *_PWD, a DSN. */
const NAMED = { SLACK_WEBHOOK_URL: 'https://hooks.example.test/T0/B0/wh-71c3e9a0', DEPLOY_SSH_KEY: 'sshkey-2b8d4f61e0', MYSQL_PWD: 'mysqlpw-6e1f0c3a', SENTRY_DSN: 'dsn-c0ffee1234abcd' };
const ALL = [TOKEN, DEPLOY, KEYCODE, URL_PW, INLINE_PW, ...Object.values(NAMED)];

const dirs: string[] = [];
const schemas: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeProject(d);
  if (schemas.length) {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    for (const s of schemas) await c.query(`drop schema if exists ${s} cascade`);
    await c.end();
  }
});

/** Writes a JUnit report and a SARIF log whose names and messages carry every secret. */
const GEN = `
const fs = require('node:fs');
const e = process.env;
const x = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
const msg = 'token ' + e.API_TOKEN + ' deploy ' + e.DEPLOY_ID + ' key ' + e.RELEASE_KEYCODE + ' redis ' + e.REDIS_URL + ' db postgres://bob:${INLINE_PW}@db.internal/x';
fs.writeFileSync('junit.xml', '<testsuite name="s" tests="2" failures="1">' +
  '<testcase classname="auth" name="' + x('logs in with ' + e.API_TOKEN) + '"><failure message="' + x(msg) + '">' + x(msg) + '</failure></testcase>' +
  '<testcase classname="auth" name="ok"/></testsuite>');
fs.writeFileSync('scan.sarif', JSON.stringify({ version: '2.1.0', runs: [{ tool: { driver: { name: 'scanner', rules: [] } }, results: [
  { ruleId: 'leak', level: 'error', message: { text: 'hard-coded ' + e.API_TOKEN + ' / ' + e.DEPLOY_ID }, locations: [{ physicalLocation: { artifactLocation: { uri: 'src/a.ts' }, region: { startLine: 3 } } }] } ] }] }));
console.log('author is', e.GIT_AUTHOR_NAME, 'and the token', e.API_TOKEN, 'key', e.RELEASE_KEYCODE);
console.log('hook', e.SLACK_WEBHOOK_URL, 'ssh', e.DEPLOY_SSH_KEY, 'mysql', e.MYSQL_PWD, 'dsn', e.SENTRY_DSN);
`;

function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

function expectClean(where: string, text: string): void {
  for (const s of ALL) expect(text.includes(s), `${where} holds ${s}`).toBe(false);
}

const env = {
  API_TOKEN: TOKEN,
  DEPLOY_ID: DEPLOY,
  RELEASE_KEYCODE: KEYCODE,
  REDIS_URL: `redis://cache:${URL_PW}@127.0.0.1:6399/0`,
  GIT_AUTHOR_NAME: 'Alice Author',
  ...NAMED,
};

describe('secrets everywhere', () => {
  it('masked in the terminal, the run folder, the history file, show, history and notes; an ordinary value is not', async () => {
    const dir = await makeProject({
      'gen.js': GEN,
      'shipgate.yml': `name: leaky
secrets: [DEPLOY_ID]
gates:
  unit:
    run: node gen.js
    reports: [{ path: junit.xml, format: junit }]
  scan:
    run: node gen.js
    reports: [{ path: scan.sarif, format: sarif }]
    expect: ["findings.error == 0"]
`,
    });
    dirs.push(dir);
    const res = await runCli(['run', '1.0.0', '--json', '--secret', 'RELEASE_KEYCODE'], { cwd: dir, env });
    expect(res.code, res.stderr).toBe(1);
    const d = parseDecision(res.stdout);
    // The failure is still told, masked: the reader learns what failed, not the secret.
    const text = JSON.stringify(d);
    expect(text).toContain('logs in with ***');
    expect(text).toContain('token *** deploy *** key ***');
    expect(text).toContain('postgres://bob:***@db.internal/x');
    expect(text).toContain('hard-coded *** / ***');
    expectClean('the terminal', res.stdout + res.stderr);

    const files = allFiles(join(dir, '.shipgate'));
    expect(files.some((f) => f.endsWith('shipgate.db'))).toBe(true);
    for (const f of files) expectClean(f, readFileSync(f, 'latin1'));
    const log = readFileSync(join(d.runDir, 'gate-unit.log'), 'utf8');
    // An ordinary variable whose name only looks close (AUTHOR is not AUTH) is not masked.
    expect(log).toContain('author is Alice Author and the token *** key ***');
    expect(log).toContain('hook *** ssh *** mysql *** dsn ***');

    for (const args of [['show', d.runId], ['show', d.runId, '--json'], ['history', '--json'], ['notes'], ['flaky', '--json']]) {
      const out = await runCli(args, { cwd: dir, env: {} });
      expect(out.code, `${args.join(' ')}: ${out.stderr}`).toBe(0);
      expectClean(args.join(' '), out.stdout + out.stderr);
    }
    const shown = await runCli(['show', d.runId], { cwd: dir, env: {} });
    expect(shown.stdout).toContain('***');
  });

  it('a --secret that is a value, not a name, is refused before anything runs (exit 2)', async () => {
    const dir = await makeProject({ 'shipgate.yml': 'gates:\n  g:\n    run: "touch ran"\n' });
    dirs.push(dir);
    const res = await runCli(['run', '1.0.0', '--no-history', '--secret', 'sk-live-abc'], { cwd: dir });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--secret "sk-live-abc": expected the name of an environment variable');
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it("the history store's URL and the variables store.url reads reach no gate or service; a gate that names one in env: gets it", async () => {
    const schema = `shipgate_sec_${Math.random().toString(36).slice(2, 10)}`;
    schemas.push(schema);
    const u = new URL(PG_URL);
    u.searchParams.set('schema', schema);
    const dir = await makeProject({
      'shipgate.yml': `name: withheld
store: { url: "\${env.HISTORY_DB}" }
services:
  api:
    run: "env > service-env.txt && exec sleep 30"
gates:
  plain:
    services: [api]
    run: "env > gate-env.txt"
  opted-in:
    run: 'echo "db=$HISTORY_DB" > opted-env.txt'
    env: { HISTORY_DB: "\${env.HISTORY_DB}" }
`,
    });
    dirs.push(dir);
    const res = await runCli(['run', '1.0.0'], { cwd: dir, env: { HISTORY_DB: u.toString(), SHIPGATE_DATABASE_URL: u.toString() } });
    expect(res.code, res.stderr).toBe(0);
    for (const f of ['gate-env.txt', 'service-env.txt']) {
      const seen = readFileSync(join(dir, f), 'utf8');
      expect(seen, f).not.toMatch(/^SHIPGATE_DATABASE_URL=/m);
      expect(seen, f).not.toMatch(/^HISTORY_DB=/m);
      expect(seen, f).toMatch(/^SHIPGATE_VERSION=1\.0\.0$/m);
    }
    expect(readFileSync(join(dir, 'opted-env.txt'), 'utf8')).toContain(`db=${u.toString()}`);
    // The run was recorded in PostgreSQL, not a local file.
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    const { rows } = await c.query(`select count(*)::int as n from ${schema}.runs`);
    await c.end();
    expect(rows[0].n).toBe(1);
  });
});

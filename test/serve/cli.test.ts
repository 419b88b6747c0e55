/**
 * `shipgate serve` and `shipgate prune` as processes: what is refused at start (exit 2 with a
 * stable code, before anything listens), the token on a real listening server, and retention on a
 * store written by real runs.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { removeProject } from '../e2e/helpers.js';
import { historyCmd, makeGitProject, put, runJson, sg } from '../e2e/history-helpers.js';
import { get } from './http.js';
import { junitXml } from './seed.js';
import { startServe } from './serve-process.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs.splice(0)) await removeProject(d);
});

async function project(): Promise<string> {
  const { dir } = await makeGitProject({
    'shipgate.yml': `name: serve-cli\ngates:\n  unit:\n    run: ${historyCmd('emit.mjs', 'unit.xml')}\n    reports: [reports/unit.xml]\n`,
    'next/unit.xml': junitXml([
      ['a', 'passes', 'pass'],
      ['a', 'fails', 'fail'],
    ]),
  });
  dirs.push(dir);
  return dir;
}

const TOKEN = 'e2e-token-0123456789abcdef';

describe('shipgate serve refuses unsafe starts', () => {
  it('refuses a non-loopback address without a token (exit 2, SERVE_TOKEN_REQUIRED), a weak token, and a bad port', async () => {
    const dir = await project();
    for (const host of ['0.0.0.0', '::', '192.0.2.10']) {
      const r = await sg(dir, ['serve', '--host', host, '--port', '0'], { SHIPGATE_SERVE_TOKEN: '' });
      expect(r.code, host).toBe(2);
      expect(r.stderr, host).toContain('[SERVE_TOKEN_REQUIRED]');
      expect(r.stderr, host).toContain('hint: pass --token TOKEN or set SHIPGATE_SERVE_TOKEN');
      expect(r.stdout, host).not.toContain('http://');
    }
    const weak = await sg(dir, ['serve', '--host', '0.0.0.0', '--token', 'short', '--port', '0']);
    expect(weak.code).toBe(2);
    expect(weak.stderr).toContain('[SERVE_TOKEN_WEAK]');
    const port = await sg(dir, ['serve', '--port', '99999']);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port 99999: expected a port number');
    expect(`${weak.stderr}${port.stderr}`).not.toMatch(/\bat .*\.(ts|js):\d+/);
  });
});

describe('shipgate serve with a token from the environment', () => {
  it('listens on all addresses, refuses missing and wrong tokens, serves the right one, and stops on SIGINT', async () => {
    const dir = await project();
    expect((await runJson(dir, '1.0.0')).res.code).toBe(1);
    const s = await startServe(dir, ['--host', '0.0.0.0'], { SHIPGATE_SERVE_TOKEN: TOKEN });
    try {
      const local = s.url.replace('0.0.0.0', '127.0.0.1');
      const none = await get(local, '/api/runs');
      expect(none.status).toBe(401);
      expect(none.json<{ error: { code: string } }>().error.code).toBe('SERVE_UNAUTHORIZED');
      expect((await get(local, '/api/runs', { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
      const ok = await get(local, '/api/runs', { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(ok.json<{ project: string; runs: unknown[] }>()).toMatchObject({ project: 'serve-cli', runs: [expect.objectContaining({ result: 'BLOCKED' })] });
    } finally {
      const end = await s.stop();
      expect(end.stdout).toContain('token required');
      expect(end.stderr).not.toContain('internal error');
    }
  });
});

describe('shipgate prune', () => {
  it("removes old runs' tests and logs but keeps their decisions; refuses a bad age", async () => {
    const dir = await project();
    const first = await runJson(dir, '1.0.0');
    await put(dir, 'next/unit.xml', junitXml([['a', 'passes', 'pass']]));
    const second = await runJson(dir, '1.0.1');
    expect(second.res.code).toBe(0);
    // Make the first run 100 days old, as if recorded then.
    const db = new Sqlite(join(dir, '.shipgate', 'shipgate.db'));
    db.prepare('update runs set started_at = ? where id = ?').run(new Date(Date.now() - 100 * 86_400_000).toISOString(), first.decision.runId);
    db.close();

    for (const age of ['90', '0d', 'ninety', '90y']) {
      const bad = await sg(dir, ['prune', '--older-than', age]);
      expect(bad.code, age).toBe(2);
      expect(bad.stderr, age).toContain('expected an age such as 90d');
    }
    const runFolder = join(dir, '.shipgate', 'runs', first.decision.runId);
    expect(readdirSync(runFolder).some((f) => f.endsWith('.log'))).toBe(true);
    const res = await sg(dir, ['prune', '--older-than', '90d', '--json']);
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as { runs: number; runIds: string[]; testLogs: number; testRows: number; logFiles: number; bytesBefore: number };
    expect(out).toMatchObject({ runs: 1, runIds: [first.decision.runId], testLogs: 1, testRows: 1 });
    expect(out.logFiles).toBeGreaterThan(0);
    expect(readdirSync(runFolder).filter((f) => f.endsWith('.log'))).toEqual([]);
    expect(existsSync(join(runFolder, 'decision.json'))).toBe(true);
    // The decision is still there; the history of its tests is not.
    const shown = await sg(dir, ['show', first.decision.runId]);
    expect(shown.stdout).toContain('RESULT: RELEASE BLOCKED');
    const text = await sg(dir, ['prune', '--older-than', '90d', '--keep-last-good']);
    expect(text.stdout).toMatch(/^Pruned 0 run\(s\) of serve-cli started before \d{4}-\d\d-\d\d: 0 test logs, 0 test rows, 0 findings, 0 log files; kept 0 last-good run\(s\)\. Decisions, durations and metrics stay\.$/m);
  });
});

/**
 * Run history through the real CLI: every run is recorded, `history` lists runs with their
 * decision and retries, `show` reprints a run's summary, a SIGKILLed run shows as interrupted,
 * and the PostgreSQL backend records and lists runs like the SQLite file.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { killLeftovers, recordedPids, removeProject, startCli, waitForFile } from './helpers.js';
import { BASE_ENV, cliJson, historyCmd, junit, makeGitProject, put, runJson, sg, type HistoryJson } from './history-helpers.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await removeProject(d);
});

async function project(files: Record<string, string>) {
  const p = await makeGitProject(files);
  dirs.push(p.dir);
  return p;
}

const unitConfig = `name: runs-demo
gates:
  unit:
    title: Unit tests
    run: ${historyCmd('emit.mjs', 'unit.xml')}
    reports: [reports/unit.xml]
`;

/** The boxed summary: from the first ==== line through the line after RESULT. */
function summaryBlock(text: string): string {
  const m = /={10,}\n {2}RELEASE GATE SUMMARY[\s\S]*?\n {2}RESULT: RELEASE (READY|BLOCKED)\n={10,}/.exec(text);
  if (!m) throw new Error(`no summary in:\n${text}`);
  return m[0];
}

describe('shipgate history and show', () => {
  it('records every run and lists them newest first with version, commit, branch, decision, duration and retries', async () => {
    const { dir, sha } = await project({ 'shipgate.yml': unitConfig, 'next/unit.xml': junit({ 'app.Calc::adds': 'fail' }) });

    const blocked = await sg(dir, ['run', '1.0.0']);
    expect(blocked.code, blocked.stderr).toBe(1);
    await put(dir, 'next/unit.xml', junit({ 'app.Calc::adds': 'pass' }));
    const ready = await sg(dir, ['run', '1.0.1']);
    expect(ready.code, ready.stderr).toBe(0);

    const h = await cliJson<HistoryJson>(dir, ['history']);
    expect(h.project).toBe('runs-demo');
    expect(h.runs.map((r) => [r.version, r.result, r.state, r.commit, r.branch, r.retries])).toEqual([
      ['1.0.1', 'READY', 'finished', sha, 'main', 0],
      ['1.0.0', 'BLOCKED', 'finished', sha, 'main', 0],
    ]);
    for (const r of h.runs) expect(r.durationMs).toBeGreaterThanOrEqual(0);

    const text = await sg(dir, ['history']);
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^RUN\s+STARTED \(UTC\)\s+VERSION\s+COMMIT\s+BRANCH\s+DECISION\s+NOTE\s+DURATION\s+RETRIES$/);
    expect(lines[1]).toContain(h.runs[0]!.id);
    expect(lines[1]).toMatch(new RegExp(`1\\.0\\.1\\s+${sha.slice(0, 12)}\\s+main\\s+READY\\s+\\S+.*\\s0$`));
    expect(lines[2]).toMatch(/1\.0\.0\s+\S+\s+main\s+BLOCKED\s/);

    const limited = await cliJson<HistoryJson>(dir, ['history', '--limit', '1']);
    expect(limited.runs.map((r) => r.version)).toEqual(['1.0.1']);
    const otherBranch = await cliJson<HistoryJson>(dir, ['history', '--branch', 'release/9']);
    expect(otherBranch.runs).toEqual([]);
  });

  it('says so when nothing is recorded yet, and --no-history records nothing', async () => {
    const { dir } = await project({ 'shipgate.yml': unitConfig, 'next/unit.xml': junit({ 'app.Calc::adds': 'pass' }) });
    const empty = await sg(dir, ['history']);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain('No runs recorded for runs-demo yet');

    const res = await sg(dir, ['run', '1.0.0', '--no-history']);
    expect(res.code, res.stderr).toBe(0);
    expect((await cliJson<HistoryJson>(dir, ['history'])).runs).toEqual([]);
  });

  it('show RUN (full id or unique prefix) prints the run as its summary was; an unknown run is a usage error', async () => {
    const { dir } = await project({
      'shipgate.yml': unitConfig,
      'next/unit.xml': junit({ 'app.Calc::adds': 'pass', 'app.Calc::divides': 'fail' }),
    });
    const run = await sg(dir, ['run', '2.0.0']);
    expect(run.code).toBe(1);
    const printed = summaryBlock(run.stdout);
    const [rec] = (await cliJson<HistoryJson>(dir, ['history'])).runs;

    const full = await sg(dir, ['show', rec!.id]);
    expect(full.code, full.stderr).toBe(0);
    expect(summaryBlock(full.stdout)).toBe(printed);
    expect(full.stdout).toContain('app.Calc::divides');

    const byPrefix = await sg(dir, ['show', rec!.id.slice(0, 17)]);
    expect(byPrefix.code).toBe(0);
    expect(summaryBlock(byPrefix.stdout)).toBe(printed);

    const asJson = await cliJson<{ id: string; decision: { result: string; version: string } }>(dir, ['show', rec!.id]);
    expect(asJson.id).toBe(rec!.id);
    expect(asJson.decision).toMatchObject({ result: 'BLOCKED', version: '2.0.0' });

    const unknown = await sg(dir, ['show', 'no-such-run']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no run no-such-run');
  });

  it('counts retries per run and shows the retry rate per gate', async () => {
    const { dir } = await project({
      'shipgate.yml': `name: retry-demo
gates:
  steady:
    run: node -e "0"
  wobbly:
    run: ${historyCmd('fail-once.mjs', 'wobbly.state', 'reports/wobbly.xml', 'app.Net::connects')}
    reports: [reports/wobbly.xml]
    retry: { attempts: 2 }
`,
    });
    const first = await runJson(dir, '1.0.0');
    expect(first.res.code, first.res.stderr).toBe(0);
    expect(first.decision.gates.find((g) => g.id === 'wobbly')?.attempts).toBe(2);
    // The state file stays, so the next run passes at once: one retried run of two.
    const second = await runJson(dir, '1.0.1');
    expect(second.res.code).toBe(0);

    const h = await cliJson<HistoryJson>(dir, ['history']);
    expect(h.runs.map((r) => [r.version, r.retries])).toEqual([
      ['1.0.1', 0],
      ['1.0.0', 1],
    ]);
    expect(h.retryRates.find((r) => r.gate === 'wobbly')).toEqual({ gate: 'wobbly', runs: 2, retried: 1, rate: 0.5 });
    expect(h.retryRates.find((r) => r.gate === 'steady')).toMatchObject({ retried: 0, rate: 0 });

    const text = await sg(dir, ['history']);
    expect(text.stdout).toContain('Retry rate per gate:');
    expect(text.stdout).toMatch(/wobbly\s+1\/2 runs\s+50%/);
    expect(text.stdout).not.toMatch(/^steady\s/m);
  });

  it('a run whose shipgate process is SIGKILLed mid-gate is shown as interrupted, and the store stays usable', async () => {
    const { dir } = await project({
      'shipgate.yml': `name: kill-demo
gates:
  hold:
    run: ${historyCmd('hold.mjs', 'hold.pid')}
`,
    });
    const cli = startCli(['run', '1.0.0'], { cwd: dir, env: BASE_ENV });
    try {
      await waitForFile(join(dir, 'hold.pid'));
      cli.child.kill('SIGKILL');
      const res = await cli.done;
      expect(res.signal).toBe('SIGKILL');
    } finally {
      // The gate runs in its own process group, which SIGKILL on shipgate cannot reach.
      if (existsSync(join(dir, 'hold.pid'))) killLeftovers(await recordedPids(dir));
    }

    const h = await cliJson<HistoryJson>(dir, ['history']);
    expect(h.runs).toHaveLength(1);
    expect(h.runs[0]).toMatchObject({ version: '1.0.0', state: 'interrupted', result: null });
    const text = await sg(dir, ['history']);
    expect(text.stdout).toMatch(/1\.0\.0\s+\S+\s+main\s+INTERRUPTED/);
    const show = await sg(dir, ['show', h.runs[0]!.id]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('interrupted; no decision was recorded');

    // The next run records normally beside the interrupted one.
    await put(dir, 'shipgate.yml', 'name: kill-demo\ngates:\n  quick:\n    run: node -e "0"\n');
    const next = await sg(dir, ['run', '1.0.1']);
    expect(next.code, next.stderr).toBe(0);
    const after = await cliJson<HistoryJson>(dir, ['history']);
    expect(after.runs.map((r) => [r.version, r.state])).toEqual([
      ['1.0.1', 'finished'],
      ['1.0.0', 'interrupted'],
    ]);
  });
  it('two runs at once both land in the store; an ambiguous run prefix and a bad --limit are usage errors', async () => {
    const { dir } = await project({ 'shipgate.yml': 'name: twin-demo\ngates:\n  a:\n    run: node -e "0"\n' });
    const [a, b] = await Promise.all([sg(dir, ['run', '1.0.0']), sg(dir, ['run', '1.0.1'])]);
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
    const h = await cliJson<HistoryJson>(dir, ['history']);
    expect(h.runs.map((r) => r.version).sort()).toEqual(['1.0.0', '1.0.1']);
    expect(h.runs.every((r) => r.state === 'finished' && r.result === 'READY')).toBe(true);

    const ambiguous = await sg(dir, ['show', h.runs[0]!.id.slice(0, 2)]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('matches several runs');
    for (const r of h.runs) expect(ambiguous.stderr).toContain(r.id);
    const badLimit = await sg(dir, ['history', '--limit', '0']);
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain('--limit 0');
  });

  it('a damaged store file fails closed: run and history stop with STORE_OPEN and say what to do', async () => {
    const { dir } = await project({ 'shipgate.yml': unitConfig, 'next/unit.xml': junit({ 'app.Calc::adds': 'pass' }) });
    await put(dir, '.shipgate/shipgate.db', 'SQLite format 3\0 this is not a database, it was cut short');
    for (const args of [['run', '1.0.0'], ['history']]) {
      const res = await sg(dir, args);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr).toContain('[STORE_OPEN]');
      expect(res.stderr).toContain('hint:');
      expect(res.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe('PostgreSQL history store', () => {
  it('records a run in the database SHIPGATE_DATABASE_URL names, and history lists it from there', async () => {
    const schema = `shipgate_e2e_${randomBytes(6).toString('hex')}`;
    const url = `postgres://postgres@127.0.0.1:5432/test?schema=${schema}`;
    const { dir } = await project({ 'shipgate.yml': unitConfig, 'next/unit.xml': junit({ 'app.Calc::adds': 'pass' }) });
    const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
    await client.connect();
    try {
      const res = await sg(dir, ['run', '3.1.4'], { SHIPGATE_DATABASE_URL: url });
      expect(res.code, res.stderr).toBe(0);
      // Nothing went to the SQLite file: the run lives in PostgreSQL only.
      expect(existsSync(join(dir, '.shipgate', 'shipgate.db'))).toBe(false);
      expect((await cliJson<HistoryJson>(dir, ['history'])).runs).toEqual([]);

      const h = await cliJson<HistoryJson>(dir, ['history'], { SHIPGATE_DATABASE_URL: url });
      expect(h.runs.map((r) => [r.version, r.result, r.state])).toEqual([['3.1.4', 'READY', 'finished']]);
      const tables = await client.query<{ n: string }>('select count(*) as n from information_schema.tables where table_schema = $1', [schema]);
      expect(Number(tables.rows[0]!.n)).toBeGreaterThan(0);
    } finally {
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    }
  });
});

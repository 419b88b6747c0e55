/**
 * `shipgate history export|import` through the real CLI, as throwaway CI runners use it: each
 * runner starts from a fresh clone, imports the history the last one exported, runs, and exports
 * again. The imported history must really judge the next run (a baseline from earlier runners
 * blocks a regression that a runner without history lets through), move between SQLite and
 * PostgreSQL, and a file that is cut short, edited, or of another project imports nothing.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { gate, removeProject } from './helpers.js';
import { cliJson, git, historyCmd, junit, makeGitProject, metricsFile, put, runJson, sg, type HistoryJson } from './history-helpers.js';

const PG_URL = process.env.SHIPGATE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const dirs: string[] = [];
const schemas: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await removeProject(d);
});
afterAll(async () => {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  for (const s of schemas) await c.query(`drop schema if exists ${s} cascade`);
  await c.end();
});

const config = `name: carried
baseline: { min-runs: 2 }
gates:
  unit:
    run: ${historyCmd('emit.mjs', 'unit.xml')}
    reports: [reports/unit.xml]
  bench:
    run: ${historyCmd('emit.mjs', 'metrics.json')}
    reports: [reports/metrics.json]
    expect: ["metric.parse_ms within baseline"]
`;

async function origin(): Promise<string> {
  const { dir } = await makeGitProject({ 'shipgate.yml': config });
  dirs.push(dir);
  return dir;
}

/** A CI runner: a fresh clone of the repository (no .shipgate/, no history). */
async function runner(from: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'shipgate-runner-'));
  dirs.push(dir);
  git(tmpdir(), 'clone', '-q', from, dir);
  return dir;
}

async function ciRun(dir: string, version: string, parseMs: number, tests: Parameters<typeof junit>[0] = { 'app.A::works': 'pass' }) {
  await put(dir, 'next/unit.xml', junit(tests));
  await put(dir, 'next/metrics.json', metricsFile('parse_ms', parseMs, 'ms'));
  return runJson(dir, version);
}

async function scratch(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'shipgate-export-'));
  dirs.push(d);
  return d;
}

const runsOf = async (dir: string, env: Record<string, string> = {}) => (await cliJson<HistoryJson>(dir, ['history', '--limit', '50'], env)).runs;

describe('history export and import', () => {
  it('carries a whole history from runner to runner: the imported baseline blocks a regression that a runner without history lets through', async () => {
    const repo = await origin();
    const out = await scratch();
    const file = join(out, 'history.jsonl.gz');

    // Runner 1: two READY runs make a baseline, a quarantine entry is added; then export.
    const r1 = await runner(repo);
    for (const v of ['1.0.0', '1.0.1']) expect((await ciRun(r1, v, 100)).res.code).toBe(0);
    expect((await sg(r1, ['quarantine', 'add', 'app.Net::*', '--reason', 'TICKET-7', '--until', new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10)])).code).toBe(0);
    const exported = await sg(r1, ['history', 'export', '--out', file]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stderr).toContain('exported 2 runs (2 test results) of carried');
    const lines = gunzipSync(await readFile(file)).toString('utf8').trimEnd().split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ shipgate: 'history', format: 1, project: 'carried' });
    expect(JSON.parse(lines.at(-1)!)).toEqual({ end: true, records: lines.length - 2 });

    // Runner 2 starts empty, imports, and the regression is judged against runner 1's runs.
    const r2 = await runner(repo);
    const imported = await sg(r2, ['history', 'import', file]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('imported 2 runs (2 test results), 0 approvals, 1 quarantine entries');
    expect((await runsOf(r2)).map((r) => r.version)).toEqual(['1.0.1', '1.0.0']);
    const slow = await ciRun(r2, '1.1.0', 150, { 'app.A::works': 'pass', 'app.Net::flaps': 'fail' });
    expect(slow.res.code).toBe(1);
    const drift = gate(slow.decision, 'bench').checks.find((c) => c.check === 'metric.parse_ms within baseline');
    expect(drift).toMatchObject({ ok: false, actual: '150ms (+50.0%)' });
    expect(drift?.message).toContain('median of 2 READY runs on main');
    // The imported quarantine excuses the failing test (the gate's own verdict), and nothing else.
    expect(gate(slow.decision, 'unit').status).toBe('pass');
    expect(gate(slow.decision, 'unit').counts).toMatchObject({ failed: 0, quarantined: 1 });

    // The nearest honest case: the same run on a runner without the history is not blocked by drift.
    const r3 = await runner(repo);
    const blind = await ciRun(r3, '1.1.0', 150);
    expect(blind.res.code).toBe(0);
    expect(gate(blind.decision, 'bench').checks.find((c) => c.check === 'metric.parse_ms within baseline')).toMatchObject({ ok: true, severity: 'warn' });

    // Runner 2 exports what it now has: runner 1's runs and its own.
    const file2 = join(out, 'history2.jsonl');
    expect((await sg(r2, ['history', 'export', '--out', file2])).code).toBe(0);
    const r4 = await runner(repo);
    expect((await sg(r4, ['history', 'import', file2])).code).toBe(0);
    expect((await runsOf(r4)).map((r) => [r.version, r.result])).toEqual([
      ['1.1.0', 'BLOCKED'],
      ['1.0.1', 'READY'],
      ['1.0.0', 'READY'],
    ]);
    // Importing it again adds nothing.
    const again = await sg(r4, ['history', 'import', file2]);
    expect(again.stdout).toContain('imported 0 runs (0 test results)');
    expect(again.stdout).toContain('3 runs were already recorded and left as they were');
    expect(await runsOf(r4)).toHaveLength(3);
  });

  it('moves a history from SQLite into PostgreSQL and back out the same', async () => {
    const repo = await origin();
    const r1 = await runner(repo);
    expect((await ciRun(r1, '1.0.0', 100, { 'app.A::works': 'pass', 'app.B::breaks': 'fail' })).res.code).toBe(1);
    const out = await scratch();
    expect((await sg(r1, ['history', 'export', '--out', join(out, 'h.jsonl')])).code).toBe(0);

    const schema = `shipgate_xfer_${randomBytes(4).toString('hex')}`;
    schemas.push(schema);
    const env = { SHIPGATE_DATABASE_URL: `${PG_URL}?schema=${schema}` };
    const r2 = await runner(repo);
    const imported = await sg(r2, ['history', 'import', join(out, 'h.jsonl')], env);
    expect(imported.code, imported.stderr).toBe(0);
    expect((await runsOf(r2, env)).map((r) => r.result)).toEqual(['BLOCKED']);
    const shown = await sg(r2, ['show', (await runsOf(r2, env))[0]!.id], env);
    expect(shown.stdout).toContain('app.B::breaks');
    const back = await sg(r2, ['history', 'export'], env);
    expect(back.code).toBe(0);
    const strip = (t: string) => t.split('\n').slice(1).join('\n');
    expect(strip(back.stdout)).toBe(strip(await readFile(join(out, 'h.jsonl'), 'utf8')));
  });

  it('hostile: a file cut short, edited, of another project, or not a history at all imports nothing, and says where', async () => {
    const repo = await origin();
    const r1 = await runner(repo);
    expect((await ciRun(r1, '1.0.0', 100, { 'app.A::works': 'pass', 'app.B::breaks': 'fail' })).res.code).toBe(1);
    expect((await ciRun(r1, '1.0.1', 100)).res.code).toBe(0);
    const out = await scratch();
    const good = join(out, 'good.jsonl');
    expect((await sg(r1, ['history', 'export', '--out', good])).code).toBe(0);
    const text = await readFile(good, 'utf8');
    const lines = text.trimEnd().split('\n');

    const bad: [string, string | Buffer, RegExp][] = [
      ['cut.jsonl', `${lines.slice(0, -1).join('\n')}\n`, /without its trailer: it was cut short/],
      ['cut.jsonl.gz', gzipSync(text).subarray(0, 200), /damaged or was cut short|without its trailer/],
      ['renamed.jsonl', text.replace('"test_id":"app.B::breaks"', '"test_id":"app.A::works"'), /does not have key/],
      ['forged.jsonl', text.replace('"result":"BLOCKED"', '"result":"READY "'), /"run" record: result/],
      ['extra.jsonl', `${text}{"t":"run"}\n`, /text after the trailer/],
      ['count.jsonl', text.replace(/\{"end":true,"records":\d+\}/, '{"end":true,"records":1}'), /the trailer counts 1 records/],
      ['other.jsonl', text.replace('"project":"carried"', '"project":"someone-else"'), /holds the history of project "someone-else", not of "carried"/],
      ['baseline.json', '{"format":"shipgate-baseline/1","project":"carried","branch":"main","exportedAt":"2026-01-01T00:00:00Z","metrics":[]}\n', /not a shipgate history file/],
      ['empty.jsonl', '', /the file is empty/],
    ];
    const r2 = await runner(repo);
    for (const [name, content, message] of bad) {
      const path = join(out, name);
      await writeFile(path, content);
      const res = await sg(r2, ['history', 'import', path]);
      expect(res.code, name).toBe(2);
      expect(res.stderr, name).toMatch(message);
      expect(res.stderr, name).toMatch(/\[HISTORY_(FILE_INVALID|PROJECT_MISMATCH)\]/);
      if (name !== 'other.jsonl' && name !== 'cut.jsonl.gz') expect(res.stderr, name).toMatch(new RegExp(`${name.replace('.', '\\.')}:\\d+: `));
      expect(res.stderr, name).not.toMatch(/at .*\.js:\d+/);
      expect(await runsOf(r2), name).toEqual([]);
    }
    const missing = await sg(r2, ['history', 'import', join(out, 'nope.jsonl')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read history file');
    // The honest file still goes in whole.
    expect((await sg(r2, ['history', 'import', good])).code).toBe(0);
    expect(await runsOf(r2)).toHaveLength(2);
    await rm(join(out, 'cut.jsonl'));
  });
});

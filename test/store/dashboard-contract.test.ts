/**
 * The dashboard's reads and the retention command's prune, on both backends: what `shipgate serve`
 * shows and `shipgate prune` removes. Each test works in its own project of one store per backend.
 */
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, testKey, type Store } from '../../src/store/store.js';
import { gate, postgresBackend, record, sqliteBackend, test, type Backend } from '../fixtures/store/helpers.js';

const backends: Backend[] = [sqliteBackend(), postgresBackend()];

afterAll(async () => {
  for (const b of backends) await b.cleanup();
});

const counts = (total: number, failed: number) => ({ total, passed: total - failed, failed, errors: 0, skipped: 0, flaky: 0, quarantined: 0 });
const XSS = '<img src=x onerror=alert(1)>';

describe.each(backends)('dashboard store reads: $name', (backend) => {
  let store: Store;
  let where: ReturnType<Backend['fresh']>;
  let n = 0;
  const project = (): string => `dash-${++n}`;

  beforeAll(async () => {
    where = backend.fresh();
    store = await openStore(where);
  });
  afterAll(async () => {
    await store?.close();
  });

  it('lists projects and branches, and filters runs by branch, version and decision, newest first, paging back', async () => {
    const p = project();
    await record(store, { project: p, id: `${p}-a`, branch: 'main', version: '1.0.0', result: 'READY' });
    await record(store, { project: p, id: `${p}-b`, branch: 'main', version: '1.0.1', result: 'BLOCKED' });
    await record(store, { project: p, id: `${p}-c`, branch: 'feature/x', version: '1.0.1', result: 'READY' });
    await record(store, { project: `${p}-other`, id: `${p}-z` });
    expect(await store.projects()).toEqual(expect.arrayContaining([p, `${p}-other`]));
    expect(await store.branches(p)).toEqual(['feature/x', 'main']);
    const ids = async (f: Partial<Parameters<Store['searchRuns']>[0]>) => (await store.searchRuns({ project: p, limit: 50, ...f })).map((r) => r.id);
    expect(await ids({})).toEqual([`${p}-c`, `${p}-b`, `${p}-a`]);
    expect(await ids({ branch: 'main' })).toEqual([`${p}-b`, `${p}-a`]);
    expect(await ids({ version: '1.0.1' })).toEqual([`${p}-c`, `${p}-b`]);
    expect(await ids({ result: 'READY' })).toEqual([`${p}-c`, `${p}-a`]);
    expect(await ids({ limit: 1 })).toEqual([`${p}-c`]);
    expect(await ids({ beforeId: `${p}-b` })).toEqual([`${p}-a`]);
    // Paging from a run that is not there (or of another project) finds nothing rather than everything.
    expect(await ids({ beforeId: `${p}-z` })).toEqual([]);
    // Hostile filter values are values, not SQL.
    expect(await ids({ branch: "main' or '1'='1" })).toEqual([]);
  });

  it('reads a dead "running" run as interrupted without writing that to the store', async () => {
    const p = project();
    await record(store, { project: p, id: `${p}-r` }, { finish: false });
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    await backend.raw(where, 'update runs set pid = $1, host = $2 where id = $3', [dead, hostname(), `${p}-r`]);
    const [run] = await store.searchRuns({ project: p, limit: 5 });
    expect(run).toMatchObject({ id: `${p}-r`, state: 'interrupted' });
    expect((await store.readRun(p, `${p}-r`))?.state).toBe('interrupted');
    const rows = await backend.raw(where, 'select state from runs where id = $1', [`${p}-r`]);
    expect(rows[0]?.state).toBe('running');
  });

  it('reads one run by its exact id only, with its decision; a prefix or another project finds nothing', async () => {
    const p = project();
    await record(store, { project: p, id: `${p}-run-1`, result: 'BLOCKED' });
    const run = await store.readRun(p, `${p}-run-1`);
    expect(run?.decision?.result).toBe('BLOCKED');
    expect(run?.decision?.blockers).toEqual(['build failed']);
    expect(await store.readRun(p, `${p}-run`)).toBeUndefined();
    expect(await store.readRun(`${p}-else`, `${p}-run-1`)).toBeUndefined();
  });

  it('gives trends oldest first with per-gate durations, summed test counts and metrics, by branch and limit', async () => {
    const p = project();
    for (let i = 0; i < 4; i++) {
      await record(store, {
        project: p,
        id: `${p}-t${i}`,
        branch: i === 3 ? 'dev' : 'main',
        gates: [gate('unit', { durationMs: 100 + i, counts: counts(10, i) }), gate('api', { durationMs: 50, counts: counts(5, 0) }), gate('lint')],
        metrics: [{ name: 'metric.parse_ms', value: 100 + i, unit: 'ms' }],
      });
    }
    const all = await store.trendRuns(p, { limit: 10 });
    expect(all.map((r) => r.id)).toEqual([`${p}-t0`, `${p}-t1`, `${p}-t2`, `${p}-t3`]);
    expect(all[2]!.gateDurations).toEqual([
      { gate: 'unit', status: 'pass', durationMs: 102 },
      { gate: 'api', status: 'pass', durationMs: 50 },
      { gate: 'lint', status: 'pass', durationMs: 10 },
    ]);
    expect(all[2]!.tests).toMatchObject({ total: 15, passed: 13, failed: 2 });
    expect(all[2]!.metrics).toEqual([{ gate: 'bench', name: 'metric.parse_ms', value: 102, unit: 'ms' }]);
    expect((await store.trendRuns(p, { limit: 2, branch: 'main' })).map((r) => r.id)).toEqual([`${p}-t1`, `${p}-t2`]);
  });

  it('ranks the most failing tests with their names (hostile names kept as written), and one test across runs with its messages', async () => {
    const p = project();
    await record(store, { project: p, id: `${p}-1`, tests: [test('a::one', 'failed', { message: 'first' }), test(`x::${XSS}`, 'failed', { message: `<script>alert(1)</script>` }), test('b::two')] });
    await record(store, { project: p, id: `${p}-2`, tests: [test('a::one', 'error', { message: 'second' }), test(`x::${XSS}`), test('b::two')] });
    await record(store, { project: p, id: `${p}-3`, tests: [test('a::one'), test(`x::${XSS}`), test('b::two', 'skipped')] });
    const most = await store.mostFailing(p, { window: 10, limit: 10 });
    expect(most).toEqual([
      { testId: 'a::one', failures: 2, runs: 3, lastFailedRunId: `${p}-2`, lastFailedAt: expect.any(String) },
      { testId: `x::${XSS}`, failures: 1, runs: 3, lastFailedRunId: `${p}-1`, lastFailedAt: expect.any(String) },
    ]);
    expect(await store.mostFailing(p, { window: 1, limit: 10 })).toEqual([]);
    const one = await store.testRuns(p, 'a::one', 10);
    expect(one.map((r) => [r.runId, r.status, r.message])).toEqual([
      [`${p}-3`, 'passed', null],
      [`${p}-2`, 'error', 'second'],
      [`${p}-1`, 'failed', 'first'],
    ]);
    const xss = await store.testRuns(p, `x::${XSS}`, 10);
    expect(xss.at(-1)).toMatchObject({ status: 'failed', message: '<script>alert(1)</script>' });
    // A test that never failed has no name: it is found by its key.
    const skipped = await store.testRuns(p, `#${testKey(p, 'b::two')}`, 10);
    expect(skipped.map((r) => r.status)).toEqual(['skipped', 'passed', 'passed']);
    expect(await store.testRuns(p, 'no::such', 10)).toEqual([]);
    expect(await store.testRuns(p, '#99999999999999999999', 10)).toEqual([]);
  });

  it('lists the slowest tests of the newest run with tests; a test that never failed shows by key', async () => {
    const p = project();
    expect(await store.slowestTests(p, { limit: 3 })).toEqual({ runId: null, tests: [] });
    await record(store, { project: p, id: `${p}-1`, tests: [test('s::slow', 'passed', { durationMs: 900 }), test('s::bad', 'failed', { durationMs: 500 }), test('s::fast', 'passed', { durationMs: 1 }), test('s::none', 'passed', { durationMs: undefined })] });
    const slow = await store.slowestTests(p, { limit: 2 });
    expect(slow.runId).toBe(`${p}-1`);
    expect(slow.tests).toEqual([
      { testId: `#${testKey(p, 's::slow')}`, gate: 'tests', durationMs: 900, status: 'passed' },
      { testId: 's::bad', gate: 'tests', durationMs: 500, status: 'failed' },
    ]);
  });

  it('measures its size, which grows as runs are recorded', async () => {
    const before = await store.storeSize();
    expect(before).toBeGreaterThan(0);
    const p = project();
    for (let i = 0; i < 3; i++) await record(store, { project: p, id: `${p}-${i}`, tests: Array.from({ length: 3000 }, (_, k) => test(`big::t${k}`, k % 10 === 0 ? 'failed' : 'passed', { message: 'x'.repeat(200) })) });
    expect(await store.storeSize()).toBeGreaterThan(before);
  });
});

describe.each(backends)('prune: $name', (backend) => {
  let store: Store;
  let where: ReturnType<Backend['fresh']>;
  let n = 0;
  const project = (): string => `prune-${++n}`;
  const old = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

  beforeAll(async () => {
    where = backend.fresh();
    store = await openStore(where);
  });
  afterAll(async () => {
    await store?.close();
  });

  async function count(table: string, p: string): Promise<number> {
    const rows = await backend.raw(where, `select count(*) as n from ${table} t join runs r on r.seq = t.run_seq where r.project = $1`, [p]);
    return Number(rows[0]?.n);
  }

  it("removes old runs' test logs, test rows and unused names; keeps runs, decisions, gate results and metrics, so trends stay", async () => {
    const p = project();
    const tests = [test('a::fails', 'failed', { message: 'm' }), test('a::passes')];
    await record(store, { project: p, id: `${p}-old1`, startedAt: old(120), tests, metrics: [{ name: 'metric.x', value: 1 }] });
    await record(store, { project: p, id: `${p}-old2`, startedAt: old(100), tests: [test('b::only-old', 'failed')], result: 'BLOCKED' });
    await record(store, { project: p, id: `${p}-new`, startedAt: old(1), tests });
    const res = await store.prune({ project: p, before: old(90), keepLastGood: false });
    expect(res).toMatchObject({ runs: 2, testLogs: 2, testRows: 2, kept: 0 });
    expect(res.runIds.sort()).toEqual([`${p}-old1`, `${p}-old2`]);
    expect(await count('test_runs', p)).toBe(1);
    expect(await count('test_results', p)).toBe(1);
    expect(await count('gate_results', p)).toBe(3);
    expect(await count('metrics', p)).toBe(1);
    // The name only the pruned rows used is gone; one still used stays.
    const names = await backend.raw(where, 'select test_id from test_ids where project = $1 order by test_id', [p]);
    expect(names.map((r) => r.test_id)).toEqual(['a::fails']);
    const trends = await store.trendRuns(p, { limit: 10 });
    expect(trends.map((r) => [r.id, r.result])).toEqual([[`${p}-old1`, 'READY'], [`${p}-old2`, 'BLOCKED'], [`${p}-new`, 'READY']]);
    expect(trends[0]!.metrics).toEqual([{ gate: 'bench', name: 'metric.x', value: 1, unit: null }]);
    expect((await store.readRun(p, `${p}-old2`))?.decision?.result).toBe('BLOCKED');
    expect((await store.testRuns(p, 'a::fails', 10)).map((r) => r.runId)).toEqual([`${p}-new`]);
    // Nothing left to prune the second time.
    expect((await store.prune({ project: p, before: old(90), keepLastGood: false })).testLogs).toBe(0);
  });

  it("with keepLastGood spares each branch's last-good run, never a BLOCKED, partial or newer one; other projects and running runs are untouched", async () => {
    const p = project();
    await record(store, { project: p, id: `${p}-good-main`, startedAt: old(200), branch: 'main', tests: [test('t::x')] });
    await record(store, { project: p, id: `${p}-bad-main`, startedAt: old(150), branch: 'main', result: 'BLOCKED', tests: [test('t::x', 'failed')] });
    await record(store, { project: p, id: `${p}-partial`, startedAt: old(140), branch: 'main', selection: '--only unit', tests: [test('t::x')] });
    await record(store, { project: p, id: `${p}-good-rel`, startedAt: old(130), branch: 'release', tests: [test('t::x')] });
    await record(store, { project: p, id: `${p}-running`, startedAt: old(120), tests: [] }, { finish: false });
    await record(store, { project: `${p}-other`, id: `${p}-other-old`, startedAt: old(300), tests: [test('t::x')] });
    const res = await store.prune({ project: p, before: old(90), keepLastGood: true });
    expect(res.kept).toBe(2);
    expect(res.runIds.sort()).toEqual([`${p}-bad-main`, `${p}-partial`]);
    const left = await backend.raw(where, 'select r.id from test_runs t join runs r on r.seq = t.run_seq where r.project in ($1, $2) order by r.id', [p, `${p}-other`]);
    expect(left.map((r) => r.id)).toEqual([`${p}-good-main`, `${p}-good-rel`, `${p}-other-old`]);
    expect((await store.lastGood(p, { branch: 'main' }))?.id).toBe(`${p}-good-main`);
  });
});

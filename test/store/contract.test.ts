import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError, UsageError } from '../../src/errors.js';
import { openStore, storeLocation, type BaselineExport, type Store } from '../../src/store/store.js';
import { LATEST_VERSION } from '../../src/store/migrate.js';
import { MESSAGE_CAP } from '../../src/store/queries/tests.js';
import { gate, postgresBackend, record, sqliteBackend, test, type Backend } from '../fixtures/store/helpers.js';

const backends: Backend[] = [sqliteBackend(), postgresBackend()];

afterAll(async () => {
  for (const b of backends) await b.cleanup();
});

async function expectCode(p: Promise<unknown>, code: string): Promise<unknown> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected a rejection with ${code}`).toBeInstanceOf(Error);
  expect((err as { code?: string }).code).toBe(code);
  return err;
}

/** A pid that certainly belongs to no running process: a child that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid as number;
}

describe.each(backends)('store contract: $name', (backend) => {
  let store: Store;
  let where: ReturnType<Backend['fresh']>;
  let n = 0;
  /** Each test works in its own project, which also proves projects are kept apart. */
  const project = (): string => `proj-${++n}`;

  beforeAll(async () => {
    where = backend.fresh();
    store = await openStore(where);
  });
  afterAll(async () => {
    await store?.close();
  });

  it('reports its kind and records the schema version', async () => {
    expect(store.kind).toBe(backend.name);
    const rows = await backend.raw(where, 'select max(version) as v from shipgate_migrations');
    expect(Number(rows[0]?.v)).toBe(LATEST_VERSION);
  });

  it('reopens an existing store without losing data, and refuses a store from a newer shipgate', async () => {
    const p = project();
    const loc = backend.fresh();
    const first = await openStore(loc);
    await record(first, { project: p, id: 'keep-1' });
    await first.close();
    const again = await openStore(loc);
    expect((await again.listRuns(p)).map((r) => r.id)).toEqual(['keep-1']);
    await again.close();
    await backend.raw(loc, "insert into shipgate_migrations (version, name, applied_at) values (999, 'future', 'x')");
    const err = await expectCode(openStore(loc), 'STORE_MIGRATE');
    expect((err as Error).message).toMatch(/newer than this shipgate/);
  });

  it('records a run as running at begin, then finished with its decision', async () => {
    const p = project();
    await record(store, { project: p, id: 'r1', version: '2.0.0', commit: 'abc', branch: 'feat' }, { finish: false });
    const [running] = await store.listRuns(p);
    expect(running).toMatchObject({ id: 'r1', state: 'running', result: null, endedAt: null, durationMs: null, version: '2.0.0' });

    const { finishOf } = await import('../fixtures/store/helpers.js');
    const fin = finishOf({
      project: p,
      id: 'r1',
      result: 'BLOCKED',
      startedAt: running!.startedAt,
      gates: [gate('build', { attempts: 3 }), gate('e2e', { status: 'fail', attempts: 2, reason: 'exit 1' }), gate('lint')],
    });
    await store.finishRun('r1', fin);
    const got = await store.getRun(p, 'r1');
    expect(got).toMatchObject({ id: 'r1', project: p, commit: 'abc', branch: 'feat', ci: true, configHash: 'cfg', state: 'finished', result: 'BLOCKED', retries: 3, gates: 3, durationMs: 1234 });
    expect(got?.endedAt).toBe(fin.endedAt);
    expect(got?.decision).toEqual(fin.decision);
    const gates = await backend.raw(where, 'select gate, status, attempts, reason, checks from gate_results g join runs r on r.seq = g.run_seq where r.id = $1 order by gate', ['r1']);
    expect(gates.map((g) => [g.gate, g.status, Number(g.attempts), g.reason])).toEqual([
      ['build', 'pass', 3, null],
      ['e2e', 'fail', 2, 'exit 1'],
      ['lint', 'pass', 1, null],
    ]);
  });

  it('rejects a duplicate run id, finishing an unknown run, and finishing twice', async () => {
    const p = project();
    await record(store, { project: p, id: 'dup' });
    await expectCode(record(store, { project: p, id: 'dup' }, { finish: false }), 'STORE_WRITE');
    const { finishOf } = await import('../fixtures/store/helpers.js');
    await expectCode(store.finishRun('never-begun', finishOf({ project: p, id: 'never-begun' })), 'STORE_WRITE');
    await expectCode(store.finishRun('dup', finishOf({ project: p, id: 'dup' })), 'STORE_WRITE');
  });

  it('lists runs newest first, per project, with limit and branch filter', async () => {
    const a = project();
    const b = project();
    await record(store, { project: a, id: 'a1', branch: 'main' });
    await record(store, { project: b, id: 'b1', branch: 'main' });
    await record(store, { project: a, id: 'a2', branch: 'dev' });
    await record(store, { project: a, id: 'a3', branch: 'main' });
    expect((await store.listRuns(a)).map((r) => r.id)).toEqual(['a3', 'a2', 'a1']);
    expect((await store.listRuns(a, { limit: 2 })).map((r) => r.id)).toEqual(['a3', 'a2']);
    expect((await store.listRuns(a, { branch: 'main' })).map((r) => r.id)).toEqual(['a3', 'a1']);
    expect((await store.listRuns(b)).map((r) => r.id)).toEqual(['b1']);
    expect(await store.getRun(b, 'a1')).toBeUndefined();
  });

  it('finds a run by unique prefix and refuses an ambiguous one', async () => {
    const p = project();
    await record(store, { project: p, id: '20250101-aaaa' });
    await record(store, { project: p, id: '20250101-abbb' });
    await record(store, { project: p, id: '20250101-A%_c' });
    expect((await store.getRun(p, '20250101-aa'))?.id).toBe('20250101-aaaa');
    // Prefix matching is exact: case matters and LIKE wildcards are plain characters.
    expect((await store.getRun(p, '20250101-A'))?.id).toBe('20250101-A%_c');
    expect(await store.getRun(p, '20250101-%')).toBeUndefined();
    expect(await store.getRun(p, 'zzz')).toBeUndefined();
    const err = await store.getRun(p, '20250101-a').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain('20250101-aaaa');
  });

  it('shows a running run whose process is gone (or that is over a day old) as interrupted', async () => {
    const p = project();
    await record(store, { project: p, id: 'alive' }, { finish: false });
    await record(store, { project: p, id: 'killed' }, { finish: false });
    await record(store, { project: p, id: 'elsewhere' }, { finish: false });
    await record(store, { project: p, id: 'ancient' }, { finish: false });
    await backend.raw(where, 'update runs set pid = $1 where id = $2', [deadPid(), 'killed']);
    await backend.raw(where, "update runs set host = 'other-host', pid = 1 where id in ('elsewhere', 'ancient')");
    await backend.raw(where, 'update runs set started_at = $1 where id = $2', [new Date(Date.now() - 2 * 86_400_000).toISOString(), 'ancient']);
    await backend.raw(where, 'update runs set started_at = $1 where id = $2', [new Date().toISOString(), 'elsewhere']);
    const states = Object.fromEntries((await store.listRuns(p)).map((r) => [r.id, r.state]));
    expect(states).toEqual({ alive: 'running', killed: 'interrupted', elsewhere: 'running', ancient: 'interrupted' });
    // The verdict is written back, so every reader agrees.
    const rows = await backend.raw(where, "select id, state from runs where id in ('killed', 'ancient') order by id");
    expect(rows.map((r) => r.state)).toEqual(['interrupted', 'interrupted']);
    expect((await store.getRun(p, 'killed'))?.state).toBe('interrupted');
  });

  it('records a run the user interrupted (SIGINT) as interrupted, with its decision', async () => {
    const p = project();
    await record(store, { project: p, id: 'int', result: 'BLOCKED', interrupted: true });
    expect(await store.getRun(p, 'int')).toMatchObject({ state: 'interrupted', result: 'BLOCKED' });
    expect(await store.lastGood(p)).toBeUndefined();
  });

  it('lastGood: newest finished READY run, by branch, before a run, of another commit', async () => {
    const p = project();
    await record(store, { project: p, id: 'g1', commit: 'c1', branch: 'main' });
    await record(store, { project: p, id: 'g2', commit: 'c2', branch: 'release' });
    await record(store, { project: p, id: 'g3', commit: 'c3', branch: 'main' });
    await record(store, { project: p, id: 'bad', commit: 'c4', branch: 'main', result: 'BLOCKED' });
    await record(store, { project: p, id: 'open', commit: 'c5', branch: 'main' }, { finish: false });
    await record(store, { project: p, id: 'g4', commit: 'c3', branch: 'main' });
    expect((await store.lastGood(p))?.id).toBe('g4');
    expect((await store.lastGood(p, { branch: 'release' }))?.id).toBe('g2');
    expect((await store.lastGood(p, { branch: 'main', beforeRunId: 'g4' }))?.id).toBe('g3');
    expect((await store.lastGood(p, { beforeRunId: 'g4', excludeCommit: 'c3' }))?.id).toBe('g2');
    expect((await store.lastGood(p, { branch: 'main', excludeCommit: 'c3' }))?.id).toBe('g1');
    expect(await store.lastGood(p, { branch: 'nope' })).toBeUndefined();
    expect(await store.lastGood(p, { beforeRunId: 'no-such-run' })).toBeUndefined();
    expect(await store.lastGood(project())).toBeUndefined();
  });

  it('stores every test result; testHistory gives each test its last runs', async () => {
    const p = project();
    const long = 'x'.repeat(MESSAGE_CAP + 500);
    await record(store, { project: p, id: 't1', commit: 'c1', tests: [test('a::one'), test('a::two', 'failed', { message: long })] });
    await record(store, { project: p, id: 't2', commit: 'c2', tests: [test('a::one', 'passed', { flaky: true, attempts: 2 }), test('a::two')] });
    await record(store, { project: p, id: 't3', commit: 'c3', tests: [test('a::one', 'skipped')] });
    await record(store, { project: project(), id: 'other', tests: [test('a::one', 'failed')] });

    const one = await store.testHistory(p, { testIds: ['a::one'], window: 2 });
    expect(one.map((r) => [r.testId, r.runId, r.status, r.flaky, r.commit])).toEqual([
      ['a::one', 't3', 'skipped', false, 'c3'],
      ['a::one', 't2', 'passed', true, 'c2'],
    ]);
    expect(one[0]?.startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    // Per test: a::two's last two runs are t2 and t1 even though t3 did not run it.
    const two = await store.testHistory(p, { testIds: ['a::two', 'never::ran'], window: 2 });
    expect(two.map((r) => [r.runId, r.status])).toEqual([
      ['t2', 'passed'],
      ['t1', 'failed'],
    ]);
    const all = await store.testHistory(p, { window: 2 });
    expect(all.map((r) => `${r.testId}@${r.runId}`).sort()).toEqual(['a::one@t2', 'a::one@t3', 'a::two@t2']);
    const msg = await backend.raw(where, "select message, attempts from test_results where message is not null and run_seq = (select seq from runs where id = 't1')");
    expect(String(msg[0]?.message).length).toBe(MESSAGE_CAP);
  });

  it('flakyCandidates: only tests that failed or flaked within the window, with all their rows there', async () => {
    const p = project();
    await record(store, { project: p, id: 'f1', commit: 'c1', tests: [test('old::fail', 'failed'), test('t::clean'), test('t::flip')] });
    await record(store, { project: p, id: 'f2', commit: 'c2', tests: [test('old::fail'), test('t::clean'), test('t::flip', 'failed')] });
    await record(store, { project: p, id: 'f3', commit: 'c2', tests: [test('old::fail'), test('t::clean'), test('t::flip'), test('t::retry', 'passed', { flaky: true, attempts: 2 })] });
    await record(store, { project: p, id: 'f4', commit: 'c3', tests: [test('old::fail'), test('t::clean'), test('t::flip', 'error'), test('t::retry')] });
    await record(store, { project: project(), id: 'f-other', tests: [test('t::clean', 'failed')] });
    const rows = await store.flakyCandidates(p, 3);
    const got = rows.map((r) => `${r.testId}@${r.runId}:${r.status}${r.flaky ? '*' : ''}`).sort();
    expect(got).toEqual([
      't::flip@f2:failed',
      't::flip@f3:passed',
      't::flip@f4:error',
      't::retry@f3:passed*',
      't::retry@f4:passed',
    ]);
    expect(await store.flakyCandidates(project(), 5)).toEqual([]);
  });

  it('metricSamples: READY finished runs on the branch only, newest first, limited per metric', async () => {
    const p = project();
    await record(store, { project: p, id: 'm1', metrics: [{ name: 'bench.parse.mean', value: 10, unit: 'ms' }, { name: 'size', value: 1000, unit: 'B' }] });
    await record(store, { project: p, id: 'm2', result: 'BLOCKED', metrics: [{ name: 'bench.parse.mean', value: 99, unit: 'ms' }] });
    await record(store, { project: p, id: 'm3', branch: 'dev', metrics: [{ name: 'bench.parse.mean', value: 98, unit: 'ms' }] });
    await record(store, { project: p, id: 'm4', metrics: [{ name: 'bench.parse.mean', value: 12, unit: 'ms' }, { name: 'bad', value: Number.NaN }] });
    await record(store, { project: p, id: 'm5', metrics: [{ name: 'bench.parse.mean', value: 97 }] }, { finish: false });
    await record(store, { project: p, id: 'm6', metrics: [{ name: 'bench.parse.mean', value: 11, unit: 'ms' }] });
    await record(store, { project: project(), id: 'm-other', metrics: [{ name: 'bench.parse.mean', value: 1 }] });

    const all = await store.metricSamples(p, { branch: 'main', runs: 5 });
    expect([...all.keys()].sort()).toEqual(['bench.parse.mean', 'size']);
    expect(all.get('bench.parse.mean')?.map((s) => [s.runId, s.value])).toEqual([
      ['m6', 11],
      ['m4', 12],
      ['m1', 10],
    ]);
    expect(all.get('bench.parse.mean')?.[0]).toMatchObject({ version: '1.0.0', commit: 'c0', branch: 'main' });
    const two = await store.metricSamples(p, { names: ['bench.parse.mean'], branch: 'main', runs: 2 });
    expect([...two.keys()]).toEqual(['bench.parse.mean']);
    expect(two.get('bench.parse.mean')?.map((s) => s.runId)).toEqual(['m6', 'm4']);
    expect((await store.metricSamples(p, { branch: 'dev', runs: 5 })).get('bench.parse.mean')?.map((s) => s.runId)).toEqual(['m3']);
    expect((await store.metricSamples(p, { branch: 'nope', runs: 5 })).size).toBe(0);
  });

  it('keeps test ids and messages exactly, whatever characters they hold', async () => {
    const p = project();
    const odd = ['a::"quoted", {braced}', 'b::back\\slash\\', "c::it's NULL", 'd::tab\there', 'e::ünïcödé ✓ 測試', 'f::'];
    await record(store, {
      project: p,
      id: 'esc1',
      tests: odd.map((id, i) => test(id, i % 2 ? 'failed' : 'passed', { message: i % 2 ? `msg "${id}" \\ {x}` : undefined })),
    });
    const rows = await store.testHistory(p, { testIds: odd, window: 5 });
    expect(rows.map((r) => r.testId).sort()).toEqual([...odd].sort());
    const run = await store.getRun(p, 'esc1');
    expect(run?.id).toBe('esc1');
  });

  it('a partial run (--only/--skip) is recorded but is never last-good nor a baseline sample', async () => {
    const p = project();
    await record(store, { project: p, id: 'full', metrics: [{ name: 'm', value: 1 }] });
    await record(store, { project: p, id: 'part', selection: '--only unit', metrics: [{ name: 'm', value: 99 }] });
    expect((await store.lastGood(p))?.id).toBe('full');
    expect((await store.metricSamples(p, { branch: 'main', runs: 5 })).get('m')?.map((s) => s.runId)).toEqual(['full']);
    expect((await store.listRuns(p)).map((r) => r.id)).toEqual(['part', 'full']);
  });

  it('runMetrics: the metrics one run recorded, by gate', async () => {
    const p = project();
    await record(store, { project: p, id: 'rm1', metrics: [{ name: 'coverage.lines', value: 81.5, unit: '%' }, { name: 'bench.a.mean', value: 2 }] });
    await record(store, { project: p, id: 'rm2', metrics: [{ name: 'coverage.lines', value: 70, unit: '%' }] });
    const got = await store.runMetrics(p, 'rm1');
    expect(got.map((m) => [m.name, m.value, m.unit])).toEqual([
      ['bench.a.mean', 2, null],
      ['coverage.lines', 81.5, '%'],
    ]);
    expect(await store.runMetrics(project(), 'rm1')).toEqual([]);
  });

  it('exports a baseline and re-imports it without duplicates; rejects malformed baselines', async () => {
    const p = project();
    await record(store, { project: p, id: 'bl1', metrics: [{ name: 'lat', value: 5, unit: 'ms' }] });
    await record(store, { project: p, id: 'bl2', metrics: [{ name: 'lat', value: 7, unit: 'ms' }] });
    const exp = await store.exportBaseline(p, 'main', 5);
    expect(exp).toMatchObject({ format: 'shipgate-baseline/1', project: p, branch: 'main' });
    expect(exp.metrics).toEqual([{ name: 'lat', unit: 'ms', samples: expect.any(Array) }]);
    expect(exp.metrics[0]?.samples.map((s) => s.value)).toEqual([7, 5]);
    // Importing into the same project: every sample is a run the store already has.
    await store.importBaseline(p, exp);
    expect((await store.metricSamples(p, { branch: 'main', runs: 5 })).get('lat')?.map((s) => s.runId)).toEqual(['bl2', 'bl1']);

    const q = project();
    expect(await store.importBaseline(q, exp)).toBe(2);
    expect(await store.importBaseline(q, exp)).toBe(0);
    expect((await store.metricSamples(q, { branch: 'main', runs: 5 })).get('lat')?.map((s) => s.value)).toEqual([7, 5]);

    const bad = (patch: Record<string, unknown>): BaselineExport => ({ ...exp, ...patch }) as BaselineExport;
    await expectCode(store.importBaseline(q, bad({ format: 'shipgate-baseline/9' })), 'BASELINE_FORMAT');
    await expectCode(store.importBaseline(q, bad({ metrics: 'nope' })), 'BASELINE_FORMAT');
    await expectCode(store.importBaseline(q, bad({ metrics: [{ name: 'x', samples: [{ value: 'fast' }] }] })), 'BASELINE_FORMAT');
    await expectCode(store.importBaseline(q, null as unknown as BaselineExport), 'BASELINE_FORMAT');
  });

  it('approvals: recorded and found by version and commit', async () => {
    const p = project();
    await store.addApproval({ project: p, gate: 'cost', version: '1.0.0', commit: 'c1', by: 'ana', evidence: 'https://x/1', note: 'ok', at: '2025-02-01T10:00:00Z' });
    await store.addApproval({ project: p, gate: 'cost', version: '1.0.0', commit: 'c1', by: 'bo', at: '2025-02-02T10:00:00Z' });
    await store.addApproval({ project: p, gate: 'cost', version: '1.1.0', commit: null, by: 'cy', at: '2025-02-03T10:00:00Z' });
    await store.addApproval({ project: p, gate: 'legal', version: '1.0.0', commit: 'c1', by: 'di', at: '2025-02-04T10:00:00Z' });
    expect(await store.findApprovals(p, 'cost', '1.0.0', 'c1')).toEqual([
      { project: p, gate: 'cost', version: '1.0.0', commit: 'c1', by: 'bo', at: '2025-02-02T10:00:00.000Z' },
      { project: p, gate: 'cost', version: '1.0.0', commit: 'c1', by: 'ana', evidence: 'https://x/1', note: 'ok', at: '2025-02-01T10:00:00.000Z' },
    ]);
    expect(await store.findApprovals(p, 'cost', '1.0.0', 'c2')).toEqual([]);
    expect(await store.findApprovals(p, 'cost', '1.0.0', null)).toEqual([]);
    expect((await store.findApprovals(p, 'cost', '1.1.0', null)).map((a) => a.by)).toEqual(['cy']);
    expect(await store.findApprovals(project(), 'cost', '1.0.0', 'c1')).toEqual([]);
    expect((await store.listApprovals(p)).map((a) => a.by)).toEqual(['di', 'cy', 'bo', 'ana']);
    expect((await store.listApprovals(p, { gate: 'cost', version: '1.0.0' })).map((a) => a.by)).toEqual(['bo', 'ana']);
    expect((await store.listApprovals(p, { gate: 'cost' }))[2]).toMatchObject({ evidence: 'https://x/1', note: 'ok' });
    await expectCode(store.addApproval({ project: p, gate: 'cost', version: '1', commit: null, by: '', at: '2025-01-01T00:00:00Z' }), 'STORE_WRITE');
    await expectCode(store.addApproval({ project: p, gate: 'cost', version: '1', commit: null, by: 'x', at: 'yesterday' }), 'STORE_WRITE');
    // Definition and signature are kept exactly.
    await store.addApproval({ project: p, gate: 'signed', version: '2', commit: 'c9', by: 'ana', at: '2025-03-01T00:00:00Z', definition: 'd'.repeat(64), signature: 'c2lnbmF0dXJl' });
    expect((await store.findApprovals(p, 'signed', '2', 'c9'))[0]).toMatchObject({ definition: 'd'.repeat(64), signature: 'c2lnbmF0dXJl' });
  });

  it('quarantine: add, list, remove by id and by test pattern', async () => {
    const p = project();
    const id1 = await store.addQuarantine({ project: p, tests: ['a::x', 'a::y'], reason: 'flaky on CI', until: '2025-12-31', by: 'ana' });
    const id2 = await store.addQuarantine({ project: p, tests: ['b::*'], reason: 'network' });
    expect(id1).not.toBe(id2);
    await store.addQuarantine({ project: project(), tests: ['a::x'], reason: 'elsewhere' });
    expect(await store.listQuarantine(p)).toEqual([
      { id: id1, project: p, tests: ['a::x', 'a::y'], reason: 'flaky on CI', until: '2025-12-31', by: 'ana', addedAt: expect.any(String) },
      { id: id2, project: p, tests: ['b::*'], reason: 'network', addedAt: expect.any(String) },
    ]);
    expect(await store.removeQuarantine(p, 'a::x')).toBe(1);
    expect((await store.listQuarantine(p)).map((q) => q.tests)).toEqual([['a::y'], ['b::*']]);
    expect(await store.removeQuarantine(p, id2)).toBe(1);
    expect(await store.removeQuarantine(p, 'a::y')).toBe(1);
    expect(await store.listQuarantine(p)).toEqual([]);
    expect(await store.removeQuarantine(p, 'nothing')).toBe(0);
    await expectCode(store.addQuarantine({ project: p, tests: [' '], reason: 'r' }), 'STORE_WRITE');
    await expectCode(store.addQuarantine({ project: p, tests: ['a'], reason: '' }), 'STORE_WRITE');
  });

  it('gateRetryRates: per gate over the window, counting runs where the gate ran', async () => {
    const p = project();
    await record(store, { project: p, id: 'x1', gates: [gate('e2e', { attempts: 2 }), gate('unit')] });
    await record(store, { project: p, id: 'x2', gates: [gate('e2e'), gate('unit'), gate('deploy', { status: 'skip', attempts: 0 })] });
    await record(store, { project: p, id: 'x3', gates: [gate('e2e', { attempts: 3 }), gate('unit')] });
    expect(await store.gateRetryRates(p, 10)).toEqual([
      { gate: 'e2e', runs: 3, retried: 2, rate: 2 / 3 },
      { gate: 'unit', runs: 3, retried: 0, rate: 0 },
    ]);
    expect(await store.gateRetryRates(p, 1)).toEqual([
      { gate: 'e2e', runs: 1, retried: 1, rate: 1 },
      { gate: 'unit', runs: 1, retried: 0, rate: 0 },
    ]);
    expect((await store.listRuns(p))[0]?.retries).toBe(2);
  });
});

describe('store contract: across backends', () => {
  it('a baseline exported from SQLite imports into PostgreSQL and back', async () => {
    const [sqlite, postgres] = [await openStore(backends[0]!.fresh()), await openStore(backends[1]!.fresh())];
    try {
      await record(sqlite, { project: 'move', id: 's1', metrics: [{ name: 'p95', value: 120.5, unit: 'ms' }] });
      await record(sqlite, { project: 'move', id: 's2', commit: null, metrics: [{ name: 'p95', value: 130.25, unit: 'ms' }] });
      const fromSqlite = await sqlite.exportBaseline('move', 'main', 5);
      expect(await postgres.importBaseline('move', JSON.parse(JSON.stringify(fromSqlite)) as BaselineExport)).toBe(2);
      const inPg = await postgres.metricSamples('move', { branch: 'main', runs: 5 });
      expect(inPg).toEqual(await sqlite.metricSamples('move', { branch: 'main', runs: 5 }));
      const back = await postgres.exportBaseline('move', 'main', 5);
      expect(back.metrics).toEqual(fromSqlite.metrics);
      const again = await openStore(backends[0]!.fresh());
      expect(await again.importBaseline('move', back)).toBe(2);
      await again.close();
    } finally {
      await sqlite.close();
      await postgres.close();
    }
  });
});

describe('openStore', () => {
  it('picks the environment URL, then the config URL, then the SQLite file under the root', () => {
    expect(storeLocation('/repo', 'postgres://cfg/db', { SHIPGATE_DATABASE_URL: 'postgres://env/db' })).toEqual({ url: 'postgres://env/db' });
    expect(storeLocation('/repo', 'postgres://cfg/db', {})).toEqual({ url: 'postgres://cfg/db' });
    expect(storeLocation('/repo', undefined, { SHIPGATE_DATABASE_URL: '' })).toEqual({ file: '/repo/.shipgate/shipgate.db' });
  });

  it('rejects unsupported URLs and bad schema names with STORE_URL', async () => {
    const err = await expectCode(openStore({ url: 'mysql://root:secret@db/x' }), 'STORE_URL');
    expect((err as Error).message).not.toContain('secret');
    await expectCode(openStore({ url: 'postgres://postgres@127.0.0.1:5432/test', schema: 'x; drop table runs' }), 'STORE_URL');
    await expectCode(openStore({ url: 'postgres://postgres@127.0.0.1:5432/test?schema=1bad' }), 'STORE_URL');
  });

  it('reports an unreachable PostgreSQL and a missing location as STORE_OPEN', async () => {
    await expectCode(openStore({ url: 'postgres://postgres@127.0.0.1:1/test' }), 'STORE_OPEN');
    await expectCode(openStore({}), 'STORE_OPEN');
  });

  it('reports a file that is not a SQLite database as STORE_OPEN', async () => {
    const { file } = backends[0]!.fresh() as { file: string };
    const { mkdirSync } = await import('node:fs');
    const { dirname } = await import('node:path');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, 'this is not a database, just text that is long enough to have a header page.'.repeat(20));
    const err = await expectCode(openStore({ file }), 'STORE_OPEN');
    expect(err).toBeInstanceOf(StoreError);
  });

  it('creates the parent folders of a new SQLite file', async () => {
    const { file } = backends[0]!.fresh() as { file: string };
    const s = await openStore({ file: `${file}.d/deeper/shipgate.db` });
    expect(s.kind).toBe('sqlite');
    await s.close();
  });
});

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError, UsageError } from '../../src/errors.js';
import { openStore, storeLocation, testKey, type BaselineExport, type Store } from '../../src/store/store.js';
import { LATEST_VERSION } from '../../src/store/migrate.js';
import { MESSAGE_CAP } from '../../src/store/queries/tests.js';
import { decodeTestLog, statusOf, isFlaky } from '../../src/store/test-log.js';
import type { TestResult } from '../../src/evidence/model.js';
import { flakyEvidenceOf } from '../../src/policy/flaky.js';
import { gate, makeSchema2Store, postgresBackend, record, sqliteBackend, test, type Backend } from '../fixtures/store/helpers.js';

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
    await record(store, { project: p, id: 't2', commit: 'c2', tests: [test('a::one', 'passed', { flaky: true, attempts: 2 }), test('a::two'), test('a::clean')] });
    await record(store, { project: p, id: 't3', commit: 'c3', tests: [test('a::one', 'skipped')] });
    await record(store, { project: project(), id: 'other', tests: [test('a::one', 'failed')] });

    const one = await store.testHistory(p, { testIds: ['a::one'], window: 2 });
    expect(one.map((r) => [r.testId, r.runId, r.status, r.flaky, r.commit])).toEqual([
      ['a::one', 't3', 'skipped', false, 'c3'],
      ['a::one', 't2', 'passed', true, 'c2'],
    ]);
    expect(one[0]?.startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    // The window is the project's last runs: t3 did not run a::two, so within two runs it has one row.
    const two = await store.testHistory(p, { testIds: ['a::two', 'never::ran'], window: 2 });
    expect(two.map((r) => [r.runId, r.status])).toEqual([['t2', 'passed']]);
    const three = await store.testHistory(p, { testIds: ['a::two'], window: 3 });
    expect(three.map((r) => [r.runId, r.status])).toEqual([
      ['t2', 'passed'],
      ['t1', 'failed'],
    ]);
    // Without ids: every test; one that never failed nor flaked has no name in the store, only its key.
    const all = await store.testHistory(p, { window: 2 });
    expect(all.map((r) => `${r.testId}@${r.runId}`).sort()).toEqual([`#${testKey(p, 'a::clean')}@t2`, 'a::one@t2', 'a::one@t3', 'a::two@t2'].sort());
    const msg = await backend.raw(where, "select message, attempts from test_results where message is not null and run_seq = (select seq from runs where id = 't1')");
    expect(String(msg[0]?.message).length).toBe(MESSAGE_CAP);
    // Only the failing and flaky tests have rows: t1's a::two, t2's flaky a::one.
    const rows = await backend.raw(where, 'select count(*) as n from test_results t join runs r on r.seq = t.run_seq where r.project = $1', [p]);
    expect(Number(rows[0]?.n)).toBe(2);
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

  it('records every test of a gate as one log: 1,200 tests with odd ids, durations, attempts and flaky marks round-trip', async () => {
    const p = project();
    const odd = ['a::"quoted", {braced}', 'b::back\\slash\\', "c::it's NULL", 'd::tab\there', 'e::ünïcödé ✓ 測試 🎉', 'f::', 'g::  spaced  ', 'h::$1 %_ *'];
    const statuses: TestResult['status'][] = ['passed', 'failed', 'error', 'skipped'];
    const tests: TestResult[] = Array.from({ length: 1200 }, (_, i) => {
      const status = statuses[i % 7 === 0 ? 1 + (i % 3) : 0]!;
      return test(i < odd.length ? odd[i]! : `suite${i % 13}::case ${i}`, status, {
        durationMs: i % 5 === 0 ? undefined : i * 0.25,
        attempts: i === 9 ? 300 : 1 + (i % 3),
        flaky: status === 'passed' && i % 11 === 0,
        message: status === 'passed' ? undefined : `failure ${i}`,
      });
    });
    await record(store, { project: p, id: 'blob1', tests, gates: [gate('tests')] });

    const blobs = await backend.raw(where, "select gate, count, data from test_runs where run_seq = (select seq from runs where id = 'blob1')");
    expect(blobs.map((b) => [b.gate, Number(b.count)])).toEqual([['tests', 1200]]);
    const log = decodeTestLog(blobs[0]!.data as Uint8Array);
    expect(log.count).toBe(1200);
    tests.forEach((t, i) => {
      expect(log.keys[i]).toBe(testKey(p, t.id));
      if (t.durationMs === undefined) expect(log.durations[i]).toBeNaN();
      else expect(log.durations[i]).toBe(Math.fround(t.durationMs));
      expect(statusOf(log.flags[i]!)).toBe(t.status);
      expect(isFlaky(log.flags[i]!)).toBe(t.flaky);
      expect(log.attempts[i]).toBe(Math.min(255, t.attempts));
    });

    const history = await store.testHistory(p, { testIds: tests.map((t) => t.id), window: 5 });
    expect(history.map((r) => [r.testId, r.status, r.flaky, r.runId])).toEqual(tests.map((t) => [t.id, t.status, t.flaky, 'blob1']));
    // Rows (and names) only for the failed, errored and flaky ones, each with its message.
    const bad = tests.filter((t) => t.status === 'failed' || t.status === 'error' || t.flaky);
    const rows = await backend.raw(where, "select test_key, status, attempts, flaky, message from test_results where run_seq = (select seq from runs where id = 'blob1')");
    expect(rows.map((r) => [Number(r.test_key), r.status, Number(r.attempts), Number(r.flaky), r.message]).sort()).toEqual(
      bad.map((t) => [testKey(p, t.id), t.status, t.attempts, t.flaky ? 1 : 0, t.message ?? null]).sort(),
    );
    const names = await backend.raw(where, 'select id, test_id from test_ids where project = $1', [p]);
    expect(names.map((n) => [Number(n.id), n.test_id]).sort()).toEqual(bad.map((t) => [testKey(p, t.id), t.id]).sort());
    // The odd ids come back exactly, named from the dictionary by the flaky query.
    const flaky = await store.flakyCandidates(p, 5);
    expect(new Set(flaky.map((r) => r.testId))).toEqual(new Set(bad.map((t) => t.id)));
  });

  it('a damaged log is refused with STORE_READ, never misread', async () => {
    const p = project();
    await record(store, { project: p, id: 'dmg', tests: [test('d::a'), test('d::b', 'failed')] });
    const read = () => store.testHistory(p, { testIds: ['d::a'], window: 5 });
    expect((await read()).map((r) => r.status)).toEqual(['passed']);
    const seq = "(select seq from runs where id = 'dmg')";
    // Cut short: the count no longer matches the length.
    const [orig] = await backend.raw(where, `select data from test_runs where run_seq = ${seq}`);
    const bytes = Buffer.from(orig!.data as Uint8Array);
    await backend.raw(where, `update test_runs set data = $1 where run_seq = ${seq}`, [bytes.subarray(0, bytes.length - 3)]);
    await expectCode(read(), 'STORE_READ');
    // Another magic (a blob some other tool wrote).
    const other = Buffer.from(bytes);
    other.write('XXXX', 0, 'latin1');
    await backend.raw(where, `update test_runs set data = $1 where run_seq = ${seq}`, [other]);
    await expectCode(read(), 'STORE_READ');
    await expectCode(store.flakyEvidence(p, { testIds: ['d::a'], window: 5, commit: 'c0', tree: null }), 'STORE_READ');
    await backend.raw(where, `update test_runs set data = $1 where run_seq = ${seq}`, [bytes]);
    expect((await read()).map((r) => r.status)).toEqual(['passed']);
  });

  it('a retried gate: the test that failed in attempt 1 and passed in attempt 2 is stored flaky, with both attempts, and is a flaky candidate', async () => {
    const p = project();
    const retried = test('net::reconnects', 'passed', { flaky: true, attempts: 2 });
    await record(store, { project: p, id: 'retry1', commit: 'c1', gates: [gate('net', { attempts: 2 })], tests: [retried, test('net::steady')] });
    const rows = await backend.raw(where, 'select test_key, status, attempts, flaky from test_results t join runs r on r.seq = t.run_seq where r.project = $1', [p]);
    expect(rows.map((r) => [Number(r.test_key), r.status, Number(r.attempts), Number(r.flaky)])).toEqual([[testKey(p, 'net::reconnects'), 'passed', 2, 1]]);
    const h = await store.testHistory(p, { testIds: ['net::reconnects', 'net::steady'], window: 5 });
    expect(h.map((r) => [r.testId, r.status, r.flaky])).toEqual([
      ['net::reconnects', 'passed', true],
      ['net::steady', 'passed', false],
    ]);
    expect((await store.flakyCandidates(p, 5)).map((r) => r.testId)).toEqual(['net::reconnects']);
    // It passed in the end: not a failure on this commit.
    expect(await store.badKeysOnCommit(p, { commit: 'c1', tree: null })).toEqual([]);
    expect(await store.gateRetryRates(p, 5)).toEqual([{ gate: 'net', runs: 1, retried: 1, rate: 1 }]);
  });

  it('flakyEvidence: what flakyEvidenceOf makes of testHistory, from one scan, for any commit, tree and window', async () => {
    const p = project();
    await record(store, { project: p, id: 'e1', commit: 'c1', tests: [test('t::a'), test('t::b', 'failed'), test('t::c'), test('t::d', 'skipped'), test('t::f', 'passed', { flaky: true, attempts: 2 })] });
    await record(store, { project: p, id: 'e2', commit: 'c1', tests: [test('t::a', 'failed'), test('t::b', 'error'), test('t::c')] });
    await record(store, { project: p, id: 'e3', commit: 'c2', tests: [test('t::a'), test('t::b'), test('t::e', 'failed')] });
    await record(store, { project: p, id: 'e4', commit: 'c1', tests: [test('t::a'), test('t::c', 'failed')] });
    await backend.raw(where, "update runs set tree = 'dirt', dirty = 1 where id = 'e4'");
    await record(store, { project: p, id: 'e5', commit: null, tests: [test('t::b'), test('t::c', 'failed')] });
    // The same test twice in one gate, failing and passing: its row is not all of it in that log.
    await record(store, { project: p, id: 'e6', commit: 'c3', tests: [test('t::dup', 'failed'), test('t::a'), test('t::dup')] });
    await record(store, { project: p, id: 'e7', commit: 'c3', tests: [test('t::dup', 'failed'), test('t::a', 'failed')] });
    const once = await backend.raw(where, 'select r.id, b.bad_once from test_runs b join runs r on r.seq = b.run_seq where r.project = $1 order by r.id', [p]);
    expect(once.map((r) => [r.id, Number(r.bad_once)])).toEqual([['e1', 1], ['e2', 1], ['e3', 1], ['e4', 1], ['e5', 1], ['e6', 0], ['e7', 1]]);
    const ids = ['t::a', 't::b', 't::c', 't::d', 't::e', 't::f', 't::dup', 't::never'];
    // Whole lists, and subsets whose every test failed plainly in some logs (those logs need no scan).
    for (const asked of [ids, ['t::b'], ['t::dup'], ['t::b', 't::e'], ['t::a', 't::dup']]) {
      for (const [commit, tree] of [['c1', null], ['c1', 'dirt'], ['c2', null], ['c3', null], ['c9', null], [null, null]] as const) {
        for (const window of [1, 2, 3, 7]) {
          const got = await store.flakyEvidence(p, { testIds: asked, window, commit, tree });
          const fromRows = flakyEvidenceOf(await store.testHistory(p, { testIds: asked, window }), commit, tree);
          expect(got, `${asked.join()} on ${commit}+${tree} in ${window}`).toEqual(asked.filter((id) => fromRows.has(id)).map((id) => fromRows.get(id)));
        }
      }
    }
    expect((await store.flakyEvidence(p, { testIds: ['t::dup'], window: 2, commit: 'c3', tree: null }))[0]).toMatchObject({ knownFlaky: true, passedHere: { runId: 'e6' }, failedHere: { runId: 'e7' } });
    // Spelled out for this run's code, c1 on a clean tree, over the first five runs:
    const c1 = new Map((await store.flakyEvidence(p, { testIds: ids, window: 7, commit: 'c1', tree: null })).map((e) => [e.testId, e]));
    expect(c1.get('t::a')).toEqual({ testId: 't::a', knownFlaky: true, passedHere: { runId: 'e1', startedAt: expect.any(String) }, failedHere: { runId: 'e2', startedAt: expect.any(String) } });
    // b failed twice on c1 and passed only on c2: consistent per commit, not flaky.
    expect(c1.get('t::b')).toMatchObject({ knownFlaky: false, failedHere: { runId: 'e2' } });
    expect(c1.get('t::b')?.passedHere).toBeUndefined();
    // c failed only on other code (a dirty tree, no commit): passes here, never contradicted.
    expect(c1.get('t::c')).toMatchObject({ knownFlaky: false, passedHere: { runId: 'e2' } });
    expect(c1.get('t::f')?.knownFlaky).toBe(true);
    expect(c1.has('t::never')).toBe(false);
    expect(await store.flakyEvidence(project(), { testIds: ids, window: 5, commit: 'c1', tree: null })).toEqual([]);
  });

  it('badKeysOnCommit: keys of tests that failed or errored on that commit with that tree, in finished runs of the project', async () => {
    const p = project();
    await record(store, { project: p, id: 'k1', commit: 'c1', tests: [test('t::a', 'failed'), test('t::b'), test('t::c', 'error')] });
    await record(store, { project: p, id: 'k2', commit: 'c2', tests: [test('t::b', 'failed')] });
    await record(store, { project: project(), id: 'k4', commit: 'c1', tests: [test('t::e', 'failed')] });
    const dirty = project();
    await record(store, { project: dirty, id: 'k5', commit: 'c1', tests: [test('t::a', 'failed')] });
    await backend.raw(where, "update runs set tree = 'f00d', dirty = 1 where id = 'k5'");
    const keys = (ks: number[]) => [...ks].sort((a, b) => a - b);
    expect(keys(await store.badKeysOnCommit(p, { commit: 'c1', tree: null }))).toEqual(keys([testKey(p, 't::a'), testKey(p, 't::c')]));
    expect(await store.badKeysOnCommit(p, { commit: 'c2', tree: null })).toEqual([testKey(p, 't::b')]);
    expect(await store.badKeysOnCommit(p, { commit: 'c3', tree: null })).toEqual([]);
    // Within a window of the project's last runs: the last one (k2) is on c2.
    expect(await store.badKeysOnCommit(p, { commit: 'c1', tree: null, window: 1 })).toEqual([]);
    expect(keys(await store.badKeysOnCommit(p, { commit: 'c1', tree: null, window: 2 }))).toEqual(keys([testKey(p, 't::a'), testKey(p, 't::c')]));
    // Another tree is other code: only the same fingerprint counts.
    expect(await store.badKeysOnCommit(dirty, { commit: 'c1', tree: null })).toEqual([]);
    expect(await store.badKeysOnCommit(dirty, { commit: 'c1', tree: 'f00d' })).toEqual([testKey(dirty, 't::a')]);
  });

  it('keeps tests apart across projects and ids that differ only in case, whitespace or Unicode form', async () => {
    const [p, q] = [project(), project()];
    const ids = ['s::Case', 's::case', 's::a b', 's::a  b', 's::a\tb', 's::caf\u00e9', 's::cafe\u0301', 's::ﬁ', 's::fi'];
    expect(new Set(ids.map((id) => testKey(p, id))).size).toBe(ids.length);
    expect(testKey(p, 's::case')).not.toBe(testKey(q, 's::case'));
    await record(store, { project: p, id: 'u1', tests: ids.map((id, i) => test(id, i % 2 ? 'failed' : 'passed')) });
    await record(store, { project: q, id: 'u2', tests: ids.map((id, i) => test(id, i % 2 ? 'passed' : 'failed')) });
    const hp = await store.testHistory(p, { testIds: ids, window: 5 });
    expect(hp.map((r) => [r.testId, r.status])).toEqual(ids.map((id, i) => [id, i % 2 ? 'failed' : 'passed']));
    const hq = await store.testHistory(q, { testIds: ids, window: 5 });
    expect(hq.map((r) => [r.testId, r.status])).toEqual(ids.map((id, i) => [id, i % 2 ? 'passed' : 'failed']));
    expect((await store.flakyCandidates(p, 5)).map((r) => r.testId).sort()).toEqual(ids.filter((_, i) => i % 2).sort());
  });

  it('migrates a schema-2 store (a row per test): each run becomes its logs, failing and flaky rows stay under hash keys, passing rows go', async () => {
    const loc = backend.fresh();
    const old = await makeSchema2Store(backend, loc);
    const l1 = await old.run({ id: 'L1', project: 'legacy', commit: 'c1' });
    const l2 = await old.run({ id: 'L2', project: 'legacy', commit: 'c1' });
    const o1 = await old.run({ id: 'O1', project: 'other', commit: 'c1' });
    await old.open({ id: 'L3', project: 'legacy', commit: 'c1' });
    await old.tests(l1, 'legacy', 'unit', [
      ['a::pass', 'passed', 5, 1, 0, null],
      ['a::fail', 'failed', 7.5, 1, 0, 'boom'],
      ['a::skip', 'skipped', null, 1, 0, 'not today'],
      ['a::flaky', 'passed', 3, 2, 1, null],
    ]);
    await old.tests(l1, 'legacy', 'lint', [['lint::all', 'passed', 1, 1, 0, null]]);
    await old.tests(l2, 'legacy', 'unit', [
      ['a::pass', 'passed', 6, 1, 0, null],
      ['a::fail', 'passed', 8, 1, 0, null],
      ['a::flaky', 'passed', 4, 1, 0, null],
    ]);
    await old.tests(o1, 'other', 'unit', [['a::pass', 'error', null, 1, 0, 'crash']]);
    await old.close();

    const migrated = await openStore(loc);
    try {
      const version = await backend.raw(loc, 'select max(version) as v from shipgate_migrations');
      expect(Number(version[0]?.v)).toBe(LATEST_VERSION);
      const h = await migrated.testHistory('legacy', { testIds: ['a::pass', 'a::fail', 'a::skip', 'a::flaky', 'lint::all'], window: 5 });
      expect(h.map((r) => `${r.testId}@${r.runId}:${r.status}${r.flaky ? '*' : ''}`)).toEqual([
        'a::pass@L2:passed',
        'a::pass@L1:passed',
        'a::fail@L2:passed',
        'a::fail@L1:failed',
        'a::skip@L1:skipped',
        'a::flaky@L2:passed',
        'a::flaky@L1:passed*',
        'lint::all@L1:passed',
      ]);
      expect(h[0]).toMatchObject({ commit: 'c1', tree: null });
      const flaky = await migrated.flakyCandidates('legacy', 5);
      expect(flaky.map((r) => `${r.testId}@${r.runId}`).sort()).toEqual(['a::fail@L1', 'a::fail@L2', 'a::flaky@L1', 'a::flaky@L2']);
      expect(await migrated.badKeysOnCommit('legacy', { commit: 'c1', tree: null })).toEqual([testKey('legacy', 'a::fail')]);
      expect(await migrated.badKeysOnCommit('other', { commit: 'c1', tree: null })).toEqual([testKey('other', 'a::pass')]);

      // Rows for the failing and flaky tests only, keyed by hash, with their message.
      const rows = await backend.raw(loc, 'select r.id as run, t.test_key, t.gate, t.status, t.attempts, t.flaky, t.message, t.duration_ms from test_results t join runs r on r.seq = t.run_seq order by r.id, t.status');
      expect(rows.map((r) => [r.run, Number(r.test_key), r.gate, r.status, Number(r.attempts), Number(r.flaky), r.message, r.duration_ms === null ? null : Number(r.duration_ms)])).toEqual([
        ['L1', testKey('legacy', 'a::fail'), 'unit', 'failed', 1, 0, 'boom', 7.5],
        ['L1', testKey('legacy', 'a::flaky'), 'unit', 'passed', 2, 1, null, 3],
        ['O1', testKey('other', 'a::pass'), 'unit', 'error', 1, 0, 'crash', null],
      ]);
      // Every name recorded before is kept, under its new key.
      const names = await backend.raw(loc, 'select project, id, test_id from test_ids order by project, test_id');
      expect(names.map((n) => [n.project, Number(n.id), n.test_id])).toEqual(
        [
          ['legacy', 'a::fail'],
          ['legacy', 'a::flaky'],
          ['legacy', 'a::pass'],
          ['legacy', 'a::skip'],
          ['legacy', 'lint::all'],
          ['other', 'a::pass'],
        ].map(([pr, id]) => [pr, testKey(pr!, id!), id]),
      );
      // One log per run and gate, in the layout test-log.ts documents.
      const blobs = await backend.raw(loc, 'select r.id as run, b.gate, b.count, b.bad_once, b.data from test_runs b join runs r on r.seq = b.run_seq order by r.id, b.gate');
      expect(blobs.map((b) => [b.run, b.gate, Number(b.count), Number(b.bad_once)])).toEqual([
        ['L1', 'lint', 1, 1],
        ['L1', 'unit', 4, 1],
        ['L2', 'unit', 3, 1],
        ['O1', 'unit', 1, 1],
      ]);
      const unit = decodeTestLog(blobs[1]!.data as Uint8Array);
      const byKey = new Map([...unit.keys.subarray(0, unit.count)].map((k, i) => [k, { d: unit.durations[i], s: statusOf(unit.flags[i]!), a: unit.attempts[i] }]));
      expect(byKey.get(testKey('legacy', 'a::skip'))).toMatchObject({ s: 'skipped', a: 1 });
      expect(byKey.get(testKey('legacy', 'a::skip'))?.d).toBeNaN();
      expect(byKey.get(testKey('legacy', 'a::fail'))).toEqual({ d: 7.5, s: 'failed', a: 1 });
      if (backend.name === 'postgres') {
        const types = await backend.raw(loc, "select table_name, column_name, data_type from information_schema.columns where table_schema = current_schema() and column_name in ('id', 'test_key', 'data') and table_name in ('test_ids', 'test_results', 'test_runs') order by table_name");
        expect(types.map((t) => [t.table_name, t.data_type])).toEqual([
          ['test_ids', 'bigint'],
          ['test_results', 'bigint'],
          ['test_runs', 'bytea'],
        ]);
      }
      // The store goes on as usual: the next run's tests join the migrated history.
      await record(migrated, { project: 'legacy', id: 'L4', commit: 'c1', tests: [test('a::fail', 'failed'), test('a::pass')] });
      const after = await migrated.testHistory('legacy', { testIds: ['a::fail'], window: 2 });
      expect(after.map((r) => `${r.runId}:${r.status}`)).toEqual(['L4:failed', 'L2:passed']);
    } finally {
      await migrated.close();
    }
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

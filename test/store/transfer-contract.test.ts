/**
 * `exportHistory` / `importHistory` on every backend: a project's whole history leaves one store
 * and arrives in another (also across backends) exactly — the same runs, tests, metrics, findings,
 * names, baselines, approvals, quarantine and actions, answering the same queries — and a record
 * that cannot be true of a history imports nothing at all.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, testKey, type Store } from '../../src/store/store.js';
import type { HistoryRecord } from '../../src/store/history-file.js';
import { TestLog } from '../../src/store/test-log.js';
import { finishOf, gate, postgresBackend, sqliteBackend, test, type Backend } from '../fixtures/store/helpers.js';
import { hostname } from 'node:os';

const backends: Backend[] = [sqliteBackend(), postgresBackend()];
afterAll(async () => {
  for (const b of backends) await b.cleanup();
});

const P = 'xfer';
let clock = Date.parse('2026-11-01T10:00:00Z');

async function run(store: Store, id: string, opts: { result?: 'READY' | 'BLOCKED'; commit?: string; tests?: ReturnType<typeof test>[]; parseMs?: number; findings?: string[] } = {}) {
  const startedAt = new Date((clock += 60_000)).toISOString();
  await store.beginRun({ id, project: P, version: id, commit: opts.commit ?? `c-${id}`, branch: 'main', ci: true, host: hostname(), configHash: 'cfg', startedAt, selection: null, tree: { dirty: false, files: 0, fingerprint: null } });
  const f = finishOf({ project: P, id, version: id, commit: opts.commit ?? `c-${id}`, result: opts.result ?? 'READY', startedAt, gates: [gate('unit'), gate('bench')], metrics: opts.parseMs === undefined ? [] : [{ name: 'metric.parse_ms', value: opts.parseMs, unit: 'ms' }] });
  f.tests = [{ gate: 'unit', log: TestLog.of(P, opts.tests ?? []) }];
  f.findings = [{ gate: 'bench', findings: (opts.findings ?? []).map((fp, i) => ({ fingerprint: fp, level: 'warning', ruleId: `R${i}`, file: 'src/a.ts', line: i + 1 })) }];
  await store.finishRun(id, f);
}

/** A history with something of every kind, including a test id full of odd characters and a message with newlines. */
async function fill(store: Store): Promise<void> {
  const odd = 'suite "é"::it <b>&\t works\n';
  await run(store, 'r1', { tests: [test('a::ok'), test('a::bad', 'failed', { message: 'boom\nline 2' }), test(odd, 'error', { message: 'crash' })], parseMs: 100, findings: ['fp1', 'fp2'] });
  await run(store, 'r2', { tests: [test('a::ok'), test('a::bad', 'passed', { flaky: true, attempts: 2 }), test(odd)], parseMs: 104, findings: ['fp1'] });
  await run(store, 'r3', { result: 'BLOCKED', tests: [test('a::ok', 'skipped', { message: 'not today' })], parseMs: 300 });
  // A run that never finished (its process died): kept as it is.
  await store.beginRun({ id: 'r4', project: P, version: 'r4', commit: 'c-r4', branch: 'feature/x', ci: false, host: 'elsewhere', configHash: 'cfg', startedAt: new Date((clock += 60_000)).toISOString(), selection: '--only unit' });
  await store.addApproval({ project: P, gate: 'signoff', version: 'r2', commit: 'c-r2', by: 'ana', evidence: 'https://example.test/t/1', note: 'checked', at: '2026-11-02T00:00:00Z', definition: 'd'.repeat(64), signature: 'c2ln' });
  await store.addQuarantine({ project: P, tests: ['a::bad', 'b::*'], reason: 'TICKET-1', until: '2026-12-20', by: 'ana' });
  await store.addAction({ id: 'act1', project: P, kind: 'rollback', by: 'bob', fromVersion: 'r3', toVersion: 'r2', toCommit: 'c-r2', runId: 'r2', forced: false, startedAt: '2026-11-03T00:00:00Z', endedAt: null, durationMs: null, result: 'running', steps: [] });
  await store.finishAction('act1', { endedAt: '2026-11-03T00:00:05Z', durationMs: 5000, result: 'done', steps: [{ index: 0, title: 'deploy', ok: true, durationMs: 10, checks: [{ check: 'exit', expected: '0', actual: '0', ok: true }] }] });
  await store.importBaseline(P, { format: 'shipgate-baseline/1', project: P, branch: 'main', exportedAt: '2026-11-01T00:00:00Z', metrics: [{ name: 'metric.startup_ms', unit: 'ms', samples: [{ gate: 'bench', value: 50, runId: 'old-1', version: '0.9', commit: 'c-old', startedAt: '2026-10-01T00:00:00Z', branch: 'main' }] }] });
  // Another project in the same store: never exported with this one.
  await store.beginRun({ id: 'other-1', project: 'other', version: '1', commit: null, branch: null, ci: false, host: 'h', configHash: 'cfg', startedAt: new Date((clock += 60_000)).toISOString(), selection: null });
}

/** What an import makes of a history: a run still running where it was exported is interrupted here. */
const asImported = (records: HistoryRecord[]): HistoryRecord[] => records.map((r) => (r.t === 'run' && r.state === 'running' ? { ...r, state: 'interrupted' } : r));

async function collect(records: AsyncIterable<HistoryRecord>): Promise<HistoryRecord[]> {
  const out: HistoryRecord[] = [];
  for await (const r of records) out.push(r);
  return out;
}

async function* numbered(records: readonly HistoryRecord[]): AsyncGenerator<{ line: number; record: HistoryRecord }> {
  let line = 1;
  for (const record of records) yield { line: ++line, record };
}

/** What the queries a run asks of history answer: the same before and after a move. */
async function answers(store: Store) {
  return {
    runs: (await store.listRuns(P, { limit: 50 })).map(({ id, state, result, version, commit, branch, durationMs, retries, partial, dirty }) => ({ id, state, result, version, commit, branch, durationMs, retries, partial, dirty })),
    decision: (await store.getRun(P, 'r2'))?.decision,
    lastGood: (await store.lastGood(P, { branch: 'main' }))?.id,
    tests: await store.testHistory(P, { window: 10 }),
    flaky: await store.flakyCandidates(P, 10),
    bad: (await store.badKeysOnCommit(P, { commit: 'c-r1', tree: null })).sort((x, y) => x - y),
    samples: [...(await store.metricSamples(P, { branch: 'main', runs: 10 }))].sort(),
    runMetrics: await store.runMetrics(P, 'r3'),
    findings: await store.baselineFindings(P, { gate: 'bench', branch: 'main' }),
    approvals: await store.listApprovals(P),
    quarantine: (await store.listQuarantine(P)).map(({ id, tests, reason, until, by, addedAt }) => ({ id, tests, reason, until, by, addedAt })),
    actions: await store.listActions(P),
    retries: await store.gateRetryRates(P, 10),
  };
}

describe.each(backends)('history export and import: $name', (backend) => {
  it('moves the whole history into an empty store: the same records out again and the same answers to every query', async () => {
    const a = await openStore(backend.fresh());
    const b = await openStore(backend.fresh());
    try {
      await fill(a);
      const records = await collect(a.exportHistory(P));
      expect(records.some((r) => r.t === 'run' && r.id === 'other-1')).toBe(false);
      expect(new Set(records.map((r) => r.t))).toEqual(new Set(['run', 'gate', 'test_log', 'test', 'metric', 'finding', 'test_id', 'baseline_sample', 'approval', 'quarantine', 'action']));
      const result = await b.importHistory(P, numbered(records));
      expect(result).toEqual({ runs: 4, skippedRuns: 0, tests: 7, approvals: 1, quarantine: 1, actions: 1, baselineSamples: 1 });
      expect(await collect(b.exportHistory(P))).toEqual(asImported(records));
      expect(records.find((r) => r.t === 'run' && r.id === 'r4')).toMatchObject({ state: 'running' });
      const [before, after] = [await answers(a), await answers(b)];
      expect(after.runs.find((r) => r.id === 'r4')?.state).toBe('interrupted');
      expect({ ...after, runs: after.runs.filter((r) => r.id !== 'r4') }).toEqual({ ...before, runs: before.runs.filter((r) => r.id !== 'r4') });
      // Not vacuous: the answers hold what was recorded.
      expect(after.runs.map((r) => r.id)).toEqual(['r4', 'r3', 'r2', 'r1']);
      expect(after.lastGood).toBe('r2');
      expect(after.flaky.map((r) => r.testId)).toContain('a::bad');
      expect(after.bad).toEqual([testKey(P, 'a::bad'), testKey(P, 'suite "é"::it <b>&\t works\n')].sort((x, y) => x - y));
      expect(after.findings?.fingerprints).toEqual(new Set(['fp1']));
      expect(after.approvals[0]).toMatchObject({ by: 'ana', signature: 'c2ln', definition: 'd'.repeat(64) });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('importing the same history twice changes nothing; runs and entries the store already has are kept as they are', async () => {
    const a = await openStore(backend.fresh());
    try {
      await fill(a);
      const records = await collect(a.exportHistory(P));
      const again = await a.importHistory(P, numbered(records));
      expect(again).toEqual({ runs: 0, skippedRuns: 4, tests: 0, approvals: 0, quarantine: 0, actions: 0, baselineSamples: 0 });
      expect(await collect(a.exportHistory(P))).toEqual(records);
    } finally {
      await a.close();
    }
  });

  it('hostile: a record that cannot be true of a history, even the last one, imports nothing at all', async () => {
    const a = await openStore(backend.fresh());
    const b = await openStore(backend.fresh());
    try {
      await fill(a);
      const records = await collect(a.exportHistory(P));
      const idx = records.findIndex((r) => r.t === 'test_id');
      const bad: [string, HistoryRecord[], RegExp][] = [
        // A name that is not the one its key was made from: would rename another test's history.
        ['renamed test', records.map((r, i) => (i === idx ? { ...(r as Extract<HistoryRecord, { t: 'test_id' }>), test_id: 'a::ok' } : r)), /does not have key/],
        ['child before its run', [records.find((r) => r.t === 'gate')!, ...records], /which the file has not defined before it/],
        ['run twice', [...records, records[0]!], /defined twice/],
        ['damaged test log', records.map((r) => (r.t === 'test_log' ? { ...r, data: Buffer.from('SGTL garbage').toString('base64') } : r)), /test log is damaged/],
        ['test log count lies', records.map((r) => (r.t === 'test_log' ? { ...r, count: r.count + 1 } : r)), /holds \d+ tests, the record says/],
        ['bad timestamp at the end', [...records, { t: 'approval', gate: 'g', version: '1', commit: null, by: 'x', evidence: null, note: null, at: 'yesterday', definition: null, signature: null }], /not a timestamp/],
        ['quarantine of nothing', [...records, { t: 'quarantine', id: 'qx', tests: '[]', reason: 'r', until: null, by: null, added_at: '2026-01-01T00:00:00Z' }], /not a list of test ids/],
      ];
      for (const [what, list, message] of bad) {
        const err = await b.importHistory(P, numbered(list)).then(
          () => undefined,
          (e: unknown) => e as { code?: string; message: string },
        );
        expect(err, what).toBeDefined();
        expect(err!.code, what).toBe('HISTORY_FILE_INVALID');
        expect(err!.message, what).toMatch(message);
        expect(err!.message, what).toMatch(/^line \d+: /);
        // All or nothing: the store is as empty as before.
        expect(await b.listRuns(P, { limit: 50 }), what).toEqual([]);
        expect(await b.listApprovals(P), what).toEqual([]);
        expect(await b.listQuarantine(P), what).toEqual([]);
      }
      // The nearest honest input still goes in.
      expect((await b.importHistory(P, numbered(records))).runs).toBe(4);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('hostile: a run id the store holds for another project is refused, not merged', async () => {
    const a = await openStore(backend.fresh());
    const b = await openStore(backend.fresh());
    try {
      await fill(a);
      await b.beginRun({ id: 'r1', project: 'someone-else', version: '1', commit: null, branch: null, ci: false, host: 'h', configHash: 'c', startedAt: '2026-01-01T00:00:00Z', selection: null });
      const err = await b.importHistory(P, numbered(await collect(a.exportHistory(P)))).catch((e: Error) => e);
      expect(err).toMatchObject({ code: 'HISTORY_FILE_INVALID', message: expect.stringContaining('already recorded in this store for project someone-else') });
      expect(await b.listRuns(P)).toEqual([]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('history export and import: across backends', () => {
  it('a history exported from SQLite imports into PostgreSQL and comes back the same', async () => {
    const [lite, pg] = backends as [Backend, Backend];
    const a = await openStore(lite.fresh());
    const b = await openStore(pg.fresh());
    const c = await openStore(lite.fresh());
    try {
      await fill(a);
      const records = await collect(a.exportHistory(P));
      await b.importHistory(P, numbered(records));
      const fromPg = await collect(b.exportHistory(P));
      expect(fromPg).toEqual(asImported(records));
      await c.importHistory(P, numbered(fromPg));
      expect(await collect(c.exportHistory(P))).toEqual(fromPg);
      expect(await answers(c)).toEqual(await answers(b));
    } finally {
      await a.close();
      await b.close();
      await c.close();
    }
  });
});

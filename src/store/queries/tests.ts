import { CompiledQuery, sql, type Kysely } from 'kysely';
import type { TestResult, TestStatus } from '../../evidence/model.js';
import type { TestHistoryRow } from '../../policy/flaky.js';
import { StoreError } from '../../errors.js';
import type { Database } from '../db.js';
import { windowRuns } from './window.js';
import { chunk, finiteOrNull, insertChunked, isPostgres, MAX_PARAMS, pgArray, pgUnnestInsert } from './util.js';

type Db = Kysely<Database>;

/** Failure messages are kept for diagnostics, not as logs: the first part is enough. */
export const MESSAGE_CAP = 2000;

/** Ids in an IN list: leaves room for the statement's other parameters. */
const IN_CHUNK = 5000;

/**
 * Map test ids to dictionary keys, adding the missing ones. Known ids are looked up first (after
 * the first run nearly all are known). New ids are inserted in sorted order so that two PostgreSQL
 * transactions adding overlapping ids take their row locks in the same order and cannot deadlock;
 * their keys come back from RETURNING, and ids that another process added meanwhile (skipped by
 * ON CONFLICT, so not returned) are looked up.
 */
export async function resolveTestKeys(db: Db, project: string, ids: string[]): Promise<Map<string, number>> {
  const unique = [...new Set(ids)];
  // Extra entries in the map are harmless here: callers only look up the run's own ids.
  const keys = await lookupKeys(db, project, unique, false);
  const missing = unique.filter((id) => !keys.has(id)).sort();
  if (missing.length === 0) return keys;
  if (isPostgres(db)) {
    const added = await insertKeysPg(db, project, missing);
    for (const [id, key] of added) keys.set(id, key);
    const rest = missing.filter((id) => !added.has(id));
    if (rest.length > 0) for (const [id, key] of await lookupKeys(db, project, rest, true)) keys.set(id, key);
    return keys;
  }
  const added = await db.transaction().execute((trx) =>
    insertChunked(trx, missing.map((test_id) => ({ project, test_id })), ['project', 'test_id'], (part) =>
      trx
        .insertInto('test_ids')
        .values(part)
        .onConflict((oc) => oc.columns(['project', 'test_id']).doNothing())
        .returning(['id', 'test_id']),
    ),
  );
  for (const r of added) keys.set(r.test_id, r.id);
  const rest = missing.filter((id) => !keys.has(id));
  if (rest.length > 0) for (const [id, key] of await lookupKeys(db, project, rest, true)) keys.set(id, key);
  return keys;
}

/** Above this many ids, reading the project's whole dictionary in one query beats IN lists. */
const WHOLE_DICTIONARY_AT = 2000;

/**
 * Dictionary keys of `ids`; with `exact` false, a large lookup may also return the project's other
 * entries (reading the whole dictionary is the fast path, and filtering it costs a second hash set
 * of 100,000 long strings). Joining a text[] of the ids on the server (PostgreSQL) was measured
 * slower than this read: the ids must cross the wire either way, and the join adds a hash build.
 */
async function lookupKeys(db: Db, project: string, ids: string[], exact: boolean): Promise<Map<string, number>> {
  const keys = new Map<string, number>();
  if (ids.length >= WHOLE_DICTIONARY_AT) {
    const rows = await db.selectFrom('test_ids').select(['id', 'test_id']).where('project', '=', project).execute();
    if (!exact) {
      for (const r of rows) keys.set(r.test_id, r.id);
      return keys;
    }
    const wanted = new Set(ids);
    for (const r of rows) if (wanted.has(r.test_id)) keys.set(r.test_id, r.id);
    return keys;
  }
  for (const part of chunk(ids, IN_CHUNK)) {
    const rows = await db.selectFrom('test_ids').select(['id', 'test_id']).where('project', '=', project).where('test_id', 'in', part).execute();
    for (const r of rows) keys.set(r.test_id, r.id);
  }
  return keys;
}

/** PostgreSQL: add `ids` (sorted by the caller; inserted in that order) and return the keys of those this call added. */
async function insertKeysPg(db: Db, project: string, ids: string[]): Promise<Map<string, number>> {
  const res = await db.executeQuery<{ id: number; test_id: string }>(
    CompiledQuery.raw(
      'insert into test_ids (project, test_id) select $1::text, u.test_id from unnest($2::text[]) with ordinality as u(test_id, ord) ' +
        'order by u.ord on conflict (project, test_id) do nothing returning id, test_id',
      [project, pgArray(ids, 'text')],
    ),
  );
  return new Map(res.rows.map((r) => [r.test_id, r.id]));
}

export const TEST_COLUMNS = ['run_seq', 'test_key', 'gate', 'status', 'duration_ms', 'attempts', 'flaky', 'bad', 'message'] as const;

// A type alias, not an interface: insertChunked takes Record<string, unknown> rows.
type TestRow = {
  run_seq: number;
  test_key: number;
  gate: string;
  status: TestStatus;
  duration_ms: number | null;
  attempts: number;
  flaky: number;
  bad: number;
  message: string | null;
};

/**
 * Rows go in ordered by test key: the (test_key, run_seq) index then grows in one pass from its
 * first page to its last instead of at 100,000 scattered places, which is most of a run's cost.
 */
export async function insertTestResults(
  db: Db,
  runSeq: number,
  groups: { gate: string; tests: TestResult[] }[],
  keys: Map<string, number>,
): Promise<void> {
  const rows: TestRow[] = groups.flatMap(({ gate, tests }) =>
    tests.map((t) => {
      const bad = t.status === 'failed' || t.status === 'error' || t.flaky;
      return {
        run_seq: runSeq,
        test_key: keyOf(keys, t.id),
        gate,
        status: t.status,
        duration_ms: finiteOrNull(t.durationMs),
        attempts: t.attempts,
        flaky: t.flaky ? 1 : 0,
        bad: bad ? 1 : 0,
        message: t.message ? t.message.slice(0, MESSAGE_CAP) : null,
      };
    }),
  );
  rows.sort((a, b) => a.test_key - b.test_key);
  if (isPostgres(db)) {
    await pgUnnestInsert(
      db,
      'test_results',
      [{ column: 'run_seq', type: 'int', value: runSeq }],
      [
        { column: 'test_key', type: 'int', values: rows.map((r) => r.test_key) },
        { column: 'gate', type: 'text', values: rows.map((r) => r.gate) },
        { column: 'status', type: 'text', values: rows.map((r) => r.status) },
        { column: 'duration_ms', type: 'float8', values: rows.map((r) => r.duration_ms) },
        { column: 'attempts', type: 'int', values: rows.map((r) => r.attempts) },
        { column: 'flaky', type: 'int', values: rows.map((r) => r.flaky) },
        { column: 'bad', type: 'int', values: rows.map((r) => r.bad) },
        { column: 'message', type: 'text', values: rows.map((r) => r.message) },
      ],
    );
    return;
  }
  await insertChunked(db, rows, TEST_COLUMNS, (part) => db.insertInto('test_results').values(part));
}

function keyOf(keys: Map<string, number>, id: string): number {
  const key = keys.get(id);
  if (key === undefined) throw new StoreError('STORE_WRITE', `test id "${id}" has no dictionary entry`);
  return key;
}

interface HistoryRow {
  test_key: number;
  run_id: string;
  commit: string | null;
  tree: string | null;
  status: string;
  flaky: number;
  started_at: string;
}

/** Per test, its rows in its last `window` runs (or, without ids, all rows of the last `window` runs). */
export async function testHistory(db: Db, project: string, testIds: string[] | undefined, window: number): Promise<TestHistoryRow[]> {
  const n = Math.max(1, Math.floor(window));
  if (testIds === undefined) {
    const seqs = await windowRuns(db, project, n);
    return seqs.length === 0 ? [] : rowsOfRuns(db, seqs, undefined);
  }
  const keys = await lookupKeys(db, project, [...new Set(testIds)], true);
  const names = new Map([...keys].map(([id, key]) => [key, id]));
  const out: HistoryRow[] = [];
  for (const part of chunk([...keys.values()], IN_CHUNK)) {
    const ranked = db
      .selectFrom('test_results as t')
      .innerJoin('runs as r', 'r.seq', 't.run_seq')
      .select([
        't.test_key',
        'r.id as run_id',
        'r.commit',
        'r.tree',
        't.status',
        't.flaky',
        'r.started_at',
        't.run_seq',
        sql<number>`row_number() over (partition by ${sql.ref('t.test_key')} order by ${sql.ref('t.run_seq')} desc)`.as('rn'),
      ])
      .where('t.test_key', 'in', part)
      .as('h');
    const rows = await db
      .selectFrom(ranked)
      .select(['h.test_key', 'h.run_id', 'h.commit', 'h.tree', 'h.status', 'h.flaky', 'h.started_at'])
      .where('h.rn', '<=', n)
      .orderBy('h.test_key')
      .orderBy('h.run_seq', 'desc')
      .execute();
    out.push(...rows);
  }
  return out.map((r) => toHistory(r, names));
}

/**
 * The flaky query, fast over millions of rows: (1) the window's run keys; (2) tests with a failed,
 * errored or flaky row in them, read from the partial index that holds only such rows; (3) those
 * tests' rows in the window, read through (test_key, run_seq). Clean tests are never touched.
 */
export async function flakyCandidates(db: Db, project: string, window: number): Promise<TestHistoryRow[]> {
  const seqs = await windowRuns(db, project, window);
  if (seqs.length === 0) return [];
  // A literal 1 (not a bound parameter) so the planner can match the partial index's predicate.
  const bad = await db
    .selectFrom('test_results')
    .select('test_key')
    .distinct()
    .where('bad', '=', sql.lit(1))
    .where('run_seq', 'in', seqs)
    .execute();
  if (bad.length === 0) return [];
  return rowsOfRuns(
    db,
    seqs,
    bad.map((r) => r.test_key),
  );
}

async function rowsOfRuns(db: Db, seqs: number[], testKeys: number[] | undefined): Promise<TestHistoryRow[]> {
  const out: HistoryRow[] = [];
  const parts = testKeys === undefined ? [undefined] : chunk(testKeys, Math.max(1, Math.min(IN_CHUNK, MAX_PARAMS - seqs.length)));
  for (const part of parts) {
    let q = db
      .selectFrom('test_results as t')
      .innerJoin('runs as r', 'r.seq', 't.run_seq')
      .select(['t.test_key', 'r.id as run_id', 'r.commit', 'r.tree', 't.status', 't.flaky', 'r.started_at'])
      .where('t.run_seq', 'in', seqs);
    if (part) q = q.where('t.test_key', 'in', part);
    out.push(...(await q.orderBy('t.test_key').orderBy('t.run_seq', 'desc').execute()));
  }
  const names = await keyNames(db, [...new Set(out.map((r) => r.test_key))]);
  return out.map((r) => toHistory(r, names));
}

async function keyNames(db: Db, keys: number[]): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  for (const part of chunk(keys, IN_CHUNK)) {
    const rows = await db.selectFrom('test_ids').select(['id', 'test_id']).where('id', 'in', part).execute();
    for (const r of rows) names.set(r.id, r.test_id);
  }
  return names;
}

function toHistory(r: HistoryRow, names: Map<number, string>): TestHistoryRow {
  return {
    testId: names.get(r.test_key) ?? `#${r.test_key}`,
    runId: r.run_id,
    commit: r.commit,
    tree: r.tree,
    status: r.status as TestStatus,
    flaky: Number(r.flaky) === 1,
    startedAt: r.started_at,
  };
}

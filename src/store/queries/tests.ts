/**
 * Test results: every test of a run as one compact log per gate (`test_runs`, see test-log.ts), the
 * failed, errored and flaky ones also as rows with their message (`test_results`), and names for
 * the keys of those (`test_ids`). History is read by scanning the window's logs once for the keys
 * wanted; no per-test row exists for a passing test.
 */
import { CompiledQuery, sql, type Kysely, type RawBuilder } from 'kysely';
import type { FlakyEvidence, TestHistoryRow } from '../../policy/flaky.js';
import { StoreError } from '../../errors.js';
import type { Database } from '../db.js';
import { KeyFilter, KeyTable } from '../key-table.js';
import { TestKeyer } from '../test-key.js';
import { decodeTestLogKeys, isFlaky, statusOf, TEST_LOG_HEADER_BYTES, TestLog, type TestLogKeys } from '../test-log.js';
import { chunk, finiteOrNull, insertChunked, isPostgres, pgArray, pgUnnestInsert } from './util.js';

type Db = Kysely<Database>;

/** Failure messages are kept for diagnostics, not as logs: the first part is enough. */
export const MESSAGE_CAP = 2000;

/** Keys in an IN list: leaves room for the statement's other parameters. */
const IN_CHUNK = 5000;

/** Each gate's log once: two entries for one gate (a caller's slip) are joined, not refused by the key. */
function byGate(groups: readonly { gate: string; log: TestLog }[], project: string): { gate: string; log: TestLog }[] {
  const out = new Map<string, TestLog>();
  for (const { gate, log } of groups) {
    if (log.project !== project) {
      throw new StoreError('STORE_WRITE', `internal: the test log of gate ${gate} was made for project ${log.project}, not ${project}`);
    }
    const have = out.get(gate);
    if (!have) out.set(gate, log);
    else {
      const joined = new TestLog(project, have.count + log.count);
      joined.append(have);
      joined.append(log);
      out.set(gate, joined);
    }
  }
  return [...out].map(([gate, log]) => ({ gate, log }));
}

/** Every key a run's failed, errored and flaky tests need named, sorted by key. */
function namesOf(groups: readonly { gate: string; log: TestLog }[]): [number, string][] {
  const names = new Map<number, string>();
  for (const { log } of groups) for (let i = 0; i < log.bad.length; i++) names.set(log.badKeys[i]!, log.bad[i]!.id);
  return [...names].sort((a, b) => a[0] - b[0]);
}

/** Insert names, keeping existing ones; on the caller's connection or transaction, opening none. */
async function insertNames(db: Db, project: string, entries: [number, string][]): Promise<void> {
  if (isPostgres(db)) {
    for (const part of chunk(entries, 50_000)) {
      await db.executeQuery(
        CompiledQuery.raw(
          'insert into test_ids (project, id, test_id) select $1::text, u.id, u.test_id from unnest($2::bigint[], $3::text[]) with ordinality as u(id, test_id, ord) ' +
            'order by u.ord on conflict (project, id) do nothing',
          [project, pgArray(part.map((e) => e[0]), 'bigint'), pgArray(part.map((e) => e[1]), 'text')],
        ),
      );
    }
    return;
  }
  await insertChunked(db, entries.map(([id, test_id]) => ({ project, id, test_id })), ['project', 'id', 'test_id'], (part) =>
    db
      .insertInto('test_ids')
      .values(part)
      .onConflict((oc) => oc.columns(['project', 'id']).doNothing()),
  );
}

/**
 * Name the keys of the run's failed, errored and flaky tests in the dictionary (existing names are
 * kept). Sorted by key, so that two PostgreSQL transactions adding overlapping keys take their
 * row locks in one order and cannot deadlock. Passing tests need no name and get none.
 */
export async function nameTests(db: Db, project: string, groups: readonly { gate: string; log: TestLog }[]): Promise<void> {
  const entries = namesOf(groups);
  if (entries.length === 0) return;
  if (isPostgres(db)) return insertNames(db, project, entries);
  await db.transaction().execute((trx) => insertNames(trx, project, entries));
}

/**
 * The same names again, inside the transaction that writes the rows using them, after those rows:
 * a prune that ran since nameTests may have removed a name no row used yet (nothing is inserted
 * where the name is still there). With prune's lock on test_results (dashboard.ts), no prune can
 * remove one from here until this transaction commits.
 */
export async function renameTests(trx: Db, project: string, groups: readonly { gate: string; log: TestLog }[]): Promise<void> {
  const entries = namesOf(groups);
  if (entries.length > 0) await insertNames(trx, project, entries);
}

export const TEST_COLUMNS = ['run_seq', 'test_key', 'gate', 'status', 'duration_ms', 'attempts', 'flaky', 'message'] as const;

// A type alias, not an interface: insertChunked takes Record<string, unknown> rows.
type TestRow = {
  run_seq: number;
  test_key: number;
  gate: string;
  status: string;
  duration_ms: number | null;
  attempts: number;
  flaky: number;
  message: string | null;
};

/** Record a run's tests (inside the run's final transaction): one log blob per gate, a row per bad test. */
export async function insertTests(db: Db, project: string, runSeq: number, groups: readonly { gate: string; log: TestLog }[]): Promise<void> {
  const logs = byGate(groups, project);
  for (const { gate, log } of logs) {
    await db.insertInto('test_runs').values({ run_seq: runSeq, gate, count: log.count, bad_once: log.badOnce() ? 1 : 0, data: log.encode() }).execute();
  }
  const rows: TestRow[] = [];
  for (const { gate, log } of logs) {
    for (let i = 0; i < log.bad.length; i++) {
      const t = log.bad[i]!;
      rows.push({
        run_seq: runSeq,
        test_key: log.badKeys[i]!,
        gate,
        status: t.status,
        duration_ms: finiteOrNull(t.durationMs),
        attempts: t.attempts,
        flaky: t.flaky ? 1 : 0,
        message: t.message ? t.message.slice(0, MESSAGE_CAP) : null,
      });
    }
  }
  if (rows.length === 0) return;
  if (isPostgres(db)) {
    await pgUnnestInsert(
      db,
      'test_results',
      [{ column: 'run_seq', type: 'int', value: runSeq }],
      [
        { column: 'test_key', type: 'bigint', values: rows.map((r) => r.test_key) },
        { column: 'gate', type: 'text', values: rows.map((r) => r.gate) },
        { column: 'status', type: 'text', values: rows.map((r) => r.status) },
        { column: 'duration_ms', type: 'float8', values: rows.map((r) => r.duration_ms) },
        { column: 'attempts', type: 'int', values: rows.map((r) => r.attempts) },
        { column: 'flaky', type: 'int', values: rows.map((r) => r.flaky) },
        { column: 'message', type: 'text', values: rows.map((r) => r.message) },
      ],
    );
    return;
  }
  await insertChunked(db, rows, TEST_COLUMNS, (part) => db.insertInto('test_results').values(part));
}

interface WindowRun {
  seq: number;
  id: string;
  commit: string | null;
  tree: string | null;
  started_at: string;
}

/** The project's last `window` finished runs, newest first, with what a history row tells of its run. */
async function windowRunInfo(db: Db, project: string, window: number): Promise<WindowRun[]> {
  const rows = await db
    .selectFrom('runs')
    .select(['seq', 'id', 'commit', 'tree', 'started_at'])
    .where('project', '=', project)
    .where('ended_at', 'is not', null)
    .orderBy('seq', 'desc')
    .limit(Math.max(1, Math.floor(window)))
    .execute();
  return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
}

/**
 * The keys and flags of one run's logs (one per gate): two slices of each blob, the header with
 * the keys and the flags, so that durations and attempts never reach the process. PostgreSQL
 * stores the blob uncompressed out of line, so only those pages are even read, and sends them as
 * base64 (a third less text than bytea's hex output); SQLite loads the blob once per slice.
 */
async function runKeys(db: Db, seq: number, gate?: string): Promise<TestLogKeys[]> {
  const pg = isPostgres(db);
  const slice = (from: RawBuilder<unknown>, length: RawBuilder<unknown>): RawBuilder<string | Uint8Array | null> =>
    pg ? sql`encode(substr(data, ${from}, ${length}), 'base64')` : sql`substr(data, ${from}, ${length})`;
  const head = sql.lit(TEST_LOG_HEADER_BYTES);
  const rows = await db
    .selectFrom('test_runs')
    .select([
      'gate',
      sql<number | string>`length(data)`.as('size'),
      slice(sql.lit(1), sql`${head} + 8 * count`).as('keys'),
      slice(sql`${head} + 1 + 12 * count`, sql`count`).as('flags'),
    ])
    .where('run_seq', '=', seq)
    .$if(gate !== undefined, (q) => q.where('gate', '=', gate!))
    .orderBy('gate')
    .execute();
  const bytes = (v: string | Uint8Array | null): Uint8Array => (v === null ? new Uint8Array(0) : typeof v === 'string' ? Buffer.from(v, 'base64') : v);
  return rows.map((r) => {
    const withHead = bytes(r.keys);
    return decodeTestLogKeys(withHead.subarray(0, TEST_LOG_HEADER_BYTES), Number(r.size), withHead.subarray(TEST_LOG_HEADER_BYTES), bytes(r.flags));
  });
}

/**
 * Scan the logs of `runs` (one run's in memory at a time), newest run first, and hand every entry
 * whose key is in `wanted` to `take` with the key's value there.
 */
async function scanRuns(db: Db, runs: readonly WindowRun[], wanted: KeyTable, take: (slot: number, run: WindowRun, flags: number) => void): Promise<void> {
  const filter = new KeyFilter(wanted);
  for (const run of runs) {
    for (const log of await runKeys(db, run.seq)) {
      const { keys, flags } = log;
      filter.scan(keys, log.count, (i) => {
        const slot = wanted.get(keys[i]!);
        if (slot >= 0) take(slot, run, flags[i]!);
      });
    }
  }
}

function historyRow(testId: string, run: WindowRun, flags: number): TestHistoryRow {
  return { testId, runId: run.id, commit: run.commit, tree: run.tree, status: statusOf(flags), flaky: isFlaky(flags), startedAt: run.started_at };
}

/** Names of `keys` in the project's dictionary. */
async function keyNames(db: Db, project: string, keys: readonly number[]): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  for (const part of chunk(keys, IN_CHUNK)) {
    const rows = await db.selectFrom('test_ids').select(['id', 'test_id']).where('project', '=', project).where('id', 'in', part).execute();
    for (const r of rows) names.set(Number(r.id), r.test_id);
  }
  return names;
}

/** See Store.testHistory. */
export async function testHistory(db: Db, project: string, testIds: string[] | undefined, window: number): Promise<TestHistoryRow[]> {
  const runs = await windowRunInfo(db, project, window);
  if (runs.length === 0) return [];
  if (testIds !== undefined) {
    const ids = [...new Set(testIds)];
    if (ids.length === 0) return [];
    const keyer = new TestKeyer(project);
    const wanted = new KeyTable(ids.length);
    ids.forEach((id, i) => wanted.add(keyer.key(id), i));
    const perTest: TestHistoryRow[][] = ids.map(() => []);
    await scanRuns(db, runs, wanted, (slot, run, flags) => perTest[slot]!.push(historyRow(ids[slot]!, run, flags)));
    return perTest.flat();
  }
  // Every test: slots are handed out as keys are first seen; names come from the dictionary.
  const seen = new KeyTable(1024);
  const keys: number[] = [];
  const perTest: { run: WindowRun; flags: number }[][] = [];
  for (const run of runs) {
    for (const log of await runKeys(db, run.seq)) {
      for (let i = 0; i < log.count; i++) {
        const slot = seen.add(log.keys[i]!, keys.length);
        if (slot === keys.length) {
          keys.push(log.keys[i]!);
          perTest.push([]);
        }
        perTest[slot]!.push({ run, flags: log.flags[i]! });
      }
    }
  }
  const names = await keyNames(db, project, keys);
  return perTest.flatMap((rows, slot) => {
    const name = names.get(keys[slot]!) ?? `#${keys[slot]!}`;
    return rows.map((r) => historyRow(name, r.run, r.flags));
  });
}

/**
 * The flaky query: (1) the window's runs; (2) the tests with a row in them (failed, errored or
 * flaky: only such tests have rows), by key; (3) all their entries in the window, from one scan
 * of its logs. Clean tests are never named nor kept.
 */
export async function flakyCandidates(db: Db, project: string, window: number): Promise<TestHistoryRow[]> {
  const runs = await windowRunInfo(db, project, window);
  if (runs.length === 0) return [];
  const badKeys = new Set<number>();
  for (const part of chunk(runs.map((r) => r.seq), IN_CHUNK)) {
    const rows = await db.selectFrom('test_results').select('test_key').distinct().where('run_seq', 'in', part).execute();
    for (const r of rows) badKeys.add(Number(r.test_key));
  }
  if (badKeys.size === 0) return [];
  // In key order: rows come back in no order the backends agree on.
  const keys = [...badKeys].sort((a, b) => a - b);
  const wanted = KeyTable.of(keys);
  const names = await keyNames(db, project, keys);
  const perTest: TestHistoryRow[][] = keys.map(() => []);
  await scanRuns(db, runs, wanted, (slot, run, flags) => perTest[slot]!.push(historyRow(names.get(keys[slot]!) ?? `#${keys[slot]!}`, run, flags)));
  return perTest.flat();
}

/**
 * The code a run tested (as policy/flaky.ts keys it): its commit plus the fingerprint of any
 * uncommitted changes; undefined without a commit.
 */
function codeKey(commit: string | null, tree: string | null | undefined): string | undefined {
  return commit === null ? undefined : tree ? `${commit}+${tree}` : commit;
}

/**
 * See Store.flakyEvidence: what flakyEvidenceOf (policy/flaky.ts) makes of testHistory's rows,
 * computed in the same one scan of the window's logs but kept as a few bits per test and commit
 * instead of a row per test per run.
 */
export async function flakyEvidence(
  db: Db,
  project: string,
  testIds: string[],
  window: number,
  commit: string | null,
  tree: string | null,
): Promise<FlakyEvidence[]> {
  const ids = [...new Set(testIds)];
  if (ids.length === 0) return [];
  const runs = await windowRunInfo(db, project, window);
  if (runs.length === 0) return [];
  const codes = new Map<string, number>();
  const runCode = new Map<WindowRun, number>();
  for (const r of runs) {
    const k = codeKey(r.commit, r.tree);
    if (k !== undefined && !codes.has(k)) codes.set(k, codes.size);
    runCode.set(r, k === undefined ? -1 : codes.get(k)!);
  }
  const hereKey = codeKey(commit, tree);
  const here = hereKey === undefined ? -1 : (codes.get(hereKey) ?? -2);
  const n = ids.length;
  const c = codes.size;
  const seen = new Uint8Array(n);
  const flaky = new Uint8Array(n);
  /** Per test and commit: bit 0 passed there, bit 1 failed there. */
  const outcomes = new Uint8Array(n * c);
  const passedHere = new Int32Array(n).fill(-1);
  const failedHere = new Int32Array(n).fill(-1);
  const index = new Map(runs.map((r, i) => [r, i]));
  const keyer = new TestKeyer(project);
  const wanted = new KeyTable(n);
  const keys = ids.map((id, i) => {
    const k = keyer.key(id);
    wanted.add(k, i);
    return k;
  });
  const take = (slot: number, run: WindowRun, flags: number): void => {
    seen[slot] = 1;
    if (isFlaky(flags)) flaky[slot] = 1;
    const status = flags & 3;
    const o = status === 0 ? 1 : status === 3 ? 0 : 2;
    const code = runCode.get(run)!;
    if (o === 0 || code < 0) return;
    outcomes[slot * c + code]! |= o;
    if (code === here) {
      if (o === 1 && passedHere[slot] === -1) passedHere[slot] = index.get(run)!;
      if (o === 2 && failedHere[slot] === -1) failedHere[slot] = index.get(run)!;
    }
  };
  // A log in which every wanted test failed plainly (a failure row, not flaky) and where such
  // rows are all there is of those tests (bad_once) says nothing its rows do not: it is not read.
  // Suites whose failing tests fail run after run are the common case, and their logs the biggest.
  const logs = await windowLogs(db, runs);
  const failedIn = await plainFailures(db, runs, keys);
  const FAILED = 1; // the flags of a plain failure: status code 1 (test-log.ts), not flaky
  const filter = new KeyFilter(wanted);
  for (const run of runs) {
    for (const log of logs.get(run.seq) ?? []) {
      if (log.badOnce && failedIn.get(`${run.seq}\0${log.gate}`) === wanted.size) {
        for (let slot = 0; slot < n; slot++) take(slot, run, FAILED);
        continue;
      }
      for (const entries of await runKeys(db, run.seq, log.gate)) {
        filter.scan(entries.keys, entries.count, (i) => {
          const slot = wanted.get(entries.keys[i]!);
          if (slot >= 0) take(slot, run, entries.flags[i]!);
        });
      }
    }
  }
  const out: FlakyEvidence[] = [];
  for (let i = 0; i < n; i++) {
    if (!seen[i]) continue;
    let contradicted = false;
    for (let k = 0; k < c && !contradicted; k++) contradicted = outcomes[i * c + k] === 3;
    const e: FlakyEvidence = { testId: ids[i]!, knownFlaky: flaky[i] === 1 || contradicted };
    if (passedHere[i]! >= 0) e.passedHere = { runId: runs[passedHere[i]!]!.id, startedAt: runs[passedHere[i]!]!.started_at };
    if (failedHere[i]! >= 0) e.failedHere = { runId: runs[failedHere[i]!]!.id, startedAt: runs[failedHere[i]!]!.started_at };
    out.push(e);
  }
  return out;
}

/** The logs of the window's runs: their gates and whether their bad tests occur once. */
async function windowLogs(db: Db, runs: readonly WindowRun[]): Promise<Map<number, { gate: string; badOnce: boolean }[]>> {
  const out = new Map<number, { gate: string; badOnce: boolean }[]>();
  for (const part of chunk(runs.map((r) => r.seq), IN_CHUNK)) {
    const rows = await db.selectFrom('test_runs').select(['run_seq', 'gate', 'bad_once']).where('run_seq', 'in', part).orderBy('run_seq').orderBy('gate').execute();
    for (const r of rows) {
      const seq = Number(r.run_seq);
      let list = out.get(seq);
      if (!list) out.set(seq, (list = []));
      list.push({ gate: r.gate, badOnce: Number(r.bad_once) === 1 });
    }
  }
  return out;
}

/**
 * Per run and gate (`seq NUL gate`), how many of `keys` have a plain failure row there (failed or
 * errored, not flaky). One grouped query: the keys go as one array (PostgreSQL) or one JSON list
 * (SQLite), not as parameters each.
 */
async function plainFailures(db: Db, runs: readonly WindowRun[], keys: readonly number[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const unique = [...new Set(keys)];
  const keyList = isPostgres(db)
    ? sql<boolean>`test_key = any(${pgArray(unique, 'bigint')}::bigint[])`
    : sql<boolean>`test_key in (select value from json_each(${JSON.stringify(unique)}))`;
  for (const part of chunk(runs.map((r) => r.seq), IN_CHUNK)) {
    const rows = await db
      .selectFrom('test_results')
      .select((eb) => ['run_seq', 'gate', eb.fn.countAll<number | string>().as('n')])
      .where('run_seq', 'in', part)
      .where('status', 'in', ['failed', 'error'])
      .where('flaky', '=', 0)
      .where(keyList)
      .groupBy(['run_seq', 'gate'])
      .execute();
    for (const r of rows) out.set(`${Number(r.run_seq)}\0${r.gate}`, Number(r.n));
  }
  return out;
}

/** See Store.badKeysOnCommit. */
export async function badKeysOnCommit(db: Db, project: string, commit: string, tree: string | null, window: number | undefined): Promise<number[]> {
  let q = db.selectFrom('runs').select(['seq', 'commit', 'tree']).where('project', '=', project).where('ended_at', 'is not', null);
  // Without a window every run of the commit counts; with one, the project's last `window` runs
  // (as testHistory reads them) that are on the commit.
  q = window === undefined ? q.where('commit', '=', commit) : q.orderBy('seq', 'desc').limit(Math.max(1, Math.floor(window)));
  const seqs = (await q.execute()).filter((r) => r.commit === commit && (r.tree ?? null) === tree).map((r) => Number(r.seq));
  if (seqs.length === 0) return [];
  const keys = new Set<number>();
  for (const part of chunk(seqs, IN_CHUNK)) {
    // Read through the (run_seq, status, test_key) index alone.
    const rows = await db.selectFrom('test_results').select('test_key').distinct().where('run_seq', 'in', part).where('status', 'in', ['failed', 'error']).execute();
    for (const r of rows) keys.add(Number(r.test_key));
  }
  return [...keys];
}

import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { TestStatus } from '../../model/evidence.js';
import type { Database } from '../db.js';
import { testKey } from '../test-key.js';
import { badOnce, TestLog } from '../test-log.js';
import type { Migration } from './index.js';

/**
 * Tests as compact logs. A row per test per run cannot be written fast enough for suites of a
 * million tests, so from this version:
 * - `test_runs` holds every test of a gate's run as one blob (test-log.ts documents the layout);
 * - `test_results` keeps rows only for tests that failed, errored or were flaky, with their message;
 * - test keys are 52-bit hashes of project and id (test-key.ts) that the run computes itself, so
 *   `test_ids` is a dictionary key → id for the keys that need a name, keyed by (project, id);
 *   key columns are bigint on PostgreSQL.
 * An existing store is converted here, in JavaScript, inside the migration's transaction: each
 * run's rows become its blobs, the failing and flaky rows are kept under their new keys, passing
 * rows go, and every recorded id keeps its name under its new key.
 */
export const testBlobs: Migration = {
  version: 4,
  name: 'test-blobs',
  async up(db, kind) {
    const pg = kind === 'postgres';
    const bigint = pg ? 'bigint' : 'integer';

    await db.schema
      .createTable('test_ids_v3')
      .addColumn('project', 'text', (c) => c.notNull())
      .addColumn('id', bigint, (c) => c.notNull())
      .addColumn('test_id', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('test_ids_key_pk', ['project', 'id'])
      .execute();
    await db.schema
      .createTable('test_results_v3')
      .addColumn('run_seq', 'integer', (c) => c.notNull())
      .addColumn('test_key', bigint, (c) => c.notNull())
      .addColumn('gate', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('duration_ms', 'double precision')
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('flaky', 'integer', (c) => c.notNull())
      .addColumn('message', 'text')
      .execute();
    // No foreign key, as for test_results: written in the same transaction as the run's end.
    await db.schema
      .createTable('test_runs')
      .addColumn('run_seq', 'integer', (c) => c.notNull())
      .addColumn('gate', 'text', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      // 1: each failed, errored or flaky test of the log occurs in it once (test-log.ts badOnce).
      .addColumn('bad_once', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('data', pg ? 'bytea' : 'blob', (c) => c.notNull())
      .addPrimaryKeyConstraint('test_runs_pk', ['run_seq', 'gate'])
      .execute();
    // Logs are random keys (incompressible): stored out of line and uncompressed, so writing one
    // skips a futile compression pass and reading a slice of one (history reads the keys and
    // flags only) fetches only that slice.
    if (pg) await sql`alter table test_runs alter column data set storage external`.execute(db);

    await convert(db);

    await db.schema.dropTable('test_results').execute();
    await db.schema.dropTable('test_ids').execute();
    await db.schema.alterTable('test_results_v3').renameTo('test_results').execute();
    await db.schema.alterTable('test_ids_v3').renameTo('test_ids').execute();
    // The window's failing rows are read by run: the flaky query and badKeysOnCommit from this
    // index alone.
    await db.schema.createIndex('test_results_run_status_key').on('test_results').columns(['run_seq', 'status', 'test_key']).execute();
  },
};

interface OldRow {
  test_key: number | string;
  gate: string;
  status: string;
  duration_ms: number | string | null;
  attempts: number | string;
  flaky: number | string;
  message: string | null;
}

/** Rows per INSERT: well under both backends' parameter limits. */
const ROWS = 500;

async function insertRows(db: Kysely<Database>, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS) {
    const part = rows.slice(i, i + ROWS);
    const values: RawBuilder<unknown>[] = part.map((r) => sql`(${sql.join(r.map((v) => sql`${v}`))})`);
    await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) values ${sql.join(values)} on conflict do nothing`.execute(db);
  }
}

async function convert(db: Kysely<Database>): Promise<void> {
  // The old dictionary: serial id → (project, text). Every name is kept, under its new key.
  const ids = await sql<{ id: number | string; project: string; test_id: string }>`select id, project, test_id from test_ids`.execute(db);
  const byOld = new Map<number, { project: string; testId: string; key: number }>();
  const names: unknown[][] = [];
  for (const r of ids.rows) {
    const key = testKey(r.project, r.test_id);
    byOld.set(Number(r.id), { project: r.project, testId: r.test_id, key });
    names.push([r.project, key, r.test_id]);
  }
  names.sort((a, b) => (a[1] as number) - (b[1] as number));
  await insertRows(db, 'test_ids_v3', ['project', 'id', 'test_id'], names);

  // Run by run, so memory holds one run's rows at a time.
  const runs = await sql<{ seq: number | string; project: string }>`select distinct r.seq, r.project from runs r join test_results t on t.run_seq = r.seq order by r.seq`.execute(db);
  for (const run of runs.rows) {
    const seq = Number(run.seq);
    const rows = await sql<OldRow>`select test_key, gate, status, duration_ms, attempts, flaky, message from test_results where run_seq = ${seq}`.execute(db);
    const logs = new Map<string, TestLog>();
    const badKeys = new Map<string, number[]>();
    const bad: unknown[][] = [];
    for (const r of rows.rows) {
      const name = byOld.get(Number(r.test_key));
      // A row whose id was never in the dictionary cannot be named or keyed: it is dropped.
      if (!name || name.project !== run.project) continue;
      let log = logs.get(r.gate);
      if (!log) logs.set(r.gate, (log = new TestLog(run.project)));
      const status = (['passed', 'failed', 'error', 'skipped'].includes(r.status) ? r.status : 'error') as TestStatus;
      const flaky = Number(r.flaky) === 1;
      const duration = r.duration_ms === null ? undefined : Number(r.duration_ms);
      log.pushEntry(name.key, status, flaky, Number(r.attempts), duration);
      if (status === 'failed' || status === 'error' || flaky) {
        bad.push([seq, name.key, r.gate, status, duration ?? null, Number(r.attempts), flaky ? 1 : 0, r.message]);
        badKeys.set(r.gate, [...(badKeys.get(r.gate) ?? []), name.key]);
      }
    }
    for (const [gate, log] of logs) {
      const once = badOnce(log, badKeys.get(gate) ?? []) ? 1 : 0;
      await sql`insert into test_runs (run_seq, gate, count, bad_once, data) values (${seq}, ${gate}, ${log.count}, ${once}, ${log.encode()})`.execute(db);
    }
    await insertRows(db, 'test_results_v3', ['run_seq', 'test_key', 'gate', 'status', 'duration_ms', 'attempts', 'flaky', 'message'], bad);
  }
}

/**
 * A project's whole history out of the store as records, and records into a store: the two halves
 * of `shipgate history export|import` (history-file.ts is the file around them).
 *
 * Export reads one run at a time (its gates, test logs, failing tests, metrics, findings), so a
 * history of many million-test runs never sits in memory. Import writes everything in one
 * transaction: a file that turns out bad on its last line leaves the store as it was. A run the
 * store already has (same id) is left as it is, with every record of it in the file; approvals,
 * quarantine entries, rollbacks, publishes and imported baseline samples already there are not
 * added twice, so importing the same file twice changes nothing.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db.js';
import { HistoryRecordError, type HistoryImportResult, type HistoryRecord } from '../history-file.js';
import { decodeTestLog } from '../test-log.js';
import { testKey } from '../test-key.js';
import { TEST_COLUMNS } from './tests.js';
import { insertChunked, isoTime, isPostgres } from './util.js';

type Db = Kysely<Database>;

const n = (v: number | string | bigint): number => Number(v);
const nn = (v: number | string | bigint | null): number | null => (v === null ? null : Number(v));
const flag = (v: number | string): 0 | 1 => (Number(v) === 1 ? 1 : 0);
const bytes = (v: Uint8Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

export async function* exportHistory(db: Db, project: string): AsyncGenerator<HistoryRecord> {
  const runs = await db.selectFrom('runs').selectAll().where('project', '=', project).orderBy('seq').execute();
  for (const r of runs) {
    yield {
      t: 'run',
      id: r.id,
      version: r.version,
      commit: r.commit,
      branch: r.branch,
      ci: flag(r.ci),
      host: r.host,
      pid: n(r.pid),
      config_hash: r.config_hash,
      started_at: r.started_at,
      ended_at: r.ended_at,
      duration_ms: nn(r.duration_ms),
      result: r.result as 'READY' | 'BLOCKED' | null,
      state: r.state as 'running' | 'finished' | 'interrupted',
      retries: n(r.retries),
      gates: n(r.gates),
      decision: r.decision,
      selection: r.selection,
      dirty: r.dirty === null ? null : flag(r.dirty),
      dirty_files: nn(r.dirty_files),
      tree: r.tree,
    };
    const seq = n(r.seq);
    for (const g of await db.selectFrom('gate_results').selectAll().where('run_seq', '=', seq).orderBy('gate').execute()) {
      yield { t: 'gate', run: r.id, gate: g.gate, status: g.status, severity: g.severity, duration_ms: n(g.duration_ms), attempts: n(g.attempts), reason: g.reason, checks: g.checks };
    }
    for (const l of await db.selectFrom('test_runs').selectAll().where('run_seq', '=', seq).orderBy('gate').execute()) {
      yield { t: 'test_log', run: r.id, gate: l.gate, count: n(l.count), bad_once: flag(l.bad_once), data: bytes(l.data).toString('base64') };
    }
    for (const t of await db.selectFrom('test_results').selectAll().where('run_seq', '=', seq).orderBy('gate').orderBy('test_key').execute()) {
      yield {
        t: 'test',
        run: r.id,
        gate: t.gate,
        test_key: n(t.test_key),
        status: t.status as 'passed' | 'failed' | 'error' | 'skipped',
        duration_ms: nn(t.duration_ms),
        attempts: n(t.attempts),
        flaky: flag(t.flaky),
        message: t.message,
      };
    }
    for (const m of await db.selectFrom('metrics').selectAll().where('run_seq', '=', seq).orderBy('gate').orderBy('name').execute()) {
      yield { t: 'metric', run: r.id, gate: m.gate, name: m.name, value: n(m.value), unit: m.unit };
    }
    for (const f of await db.selectFrom('findings').selectAll().where('run_seq', '=', seq).orderBy('gate').orderBy('fingerprint').execute()) {
      yield { t: 'finding', run: r.id, gate: f.gate, fingerprint: f.fingerprint, level: f.level, rule: f.rule, file: f.file, line: nn(f.line) };
    }
  }
  for (const i of await db.selectFrom('test_ids').selectAll().where('project', '=', project).orderBy('id').execute()) {
    yield { t: 'test_id', id: n(i.id), test_id: i.test_id };
  }
  for (const s of await db.selectFrom('baseline_samples').selectAll().where('project', '=', project).orderBy('branch').orderBy('name').orderBy('started_at').execute()) {
    const { project: _p, ...rest } = s;
    yield { t: 'baseline_sample', ...rest, value: n(rest.value) };
  }
  for (const a of await db.selectFrom('approvals').selectAll().where('project', '=', project).orderBy('id').execute()) {
    const { id: _id, project: _p, ...rest } = a;
    yield { t: 'approval', ...rest };
  }
  for (const q of await db.selectFrom('quarantine').selectAll().where('project', '=', project).orderBy('seq').execute()) {
    const { seq: _s, project: _p, ...rest } = q;
    yield { t: 'quarantine', ...rest };
  }
  for (const a of await db.selectFrom('actions').selectAll().where('project', '=', project).orderBy('seq').execute()) {
    const { seq: _s, project: _p, ...rest } = a;
    yield { t: 'action', ...rest, kind: rest.kind as 'rollback' | 'publish' | 'rollout', forced: flag(rest.forced), duration_ms: nn(rest.duration_ms) };
  }
}

function json(text: string | null, line: number, what: string): void {
  if (text === null) return;
  try {
    JSON.parse(text);
  } catch {
    throw new HistoryRecordError(line, `${what} is not valid JSON`);
  }
}

function time(value: string, line: number, what: string): string {
  if (Number.isNaN(Date.parse(value))) throw new HistoryRecordError(line, `${what} is not a timestamp: ${JSON.stringify(value.slice(0, 60))}`);
  return isoTime(value, what);
}

/** Rows wait here and go in bulk; failing tests of a big run are many. */
const BATCH = 2000;

/**
 * Write `records` (with their line numbers) into the store under `project`, in one transaction.
 * Throws HistoryRecordError for a record that cannot be true of a history (nothing is written).
 */
export async function importHistory(db: Db, project: string, records: AsyncIterable<{ line: number; record: HistoryRecord }>): Promise<HistoryImportResult> {
  const result: HistoryImportResult = { runs: 0, skippedRuns: 0, tests: 0, approvals: 0, quarantine: 0, actions: 0, baselineSamples: 0 };
  return db.transaction().execute(async (trx) => {
    // Names are written before the rows that use them: a prune (dashboard.ts) must not judge one
    // unused in between, so an import holds off prunes from its start (PostgreSQL; SQLite has one
    // writer at a time).
    if (isPostgres(trx)) await sql`lock table test_results in row exclusive mode`.execute(trx);
    /** Run id → its seq in this store, or null for a run the store already had (its records are skipped). */
    const runs = new Map<string, number | null>();
    const tests: Record<(typeof TEST_COLUMNS)[number], unknown>[] = [];
    const flushTests = async (): Promise<void> => {
      if (tests.length === 0) return;
      await insertChunked(trx, tests, TEST_COLUMNS, (part) => trx.insertInto('test_results').values(part as never));
      tests.length = 0;
    };
    const runOf = (r: { run: string }, line: number): number | null => {
      const seq = runs.get(r.run);
      if (seq === undefined) throw new HistoryRecordError(line, `names run ${JSON.stringify(r.run)}, which the file has not defined before it`);
      return seq;
    };
    const gatesSeen = new Set<string>();

    for await (const { line, record } of records) {
      switch (record.t) {
        case 'run': {
          if (runs.has(record.id)) throw new HistoryRecordError(line, `run ${record.id} is defined twice`);
          const have = await trx.selectFrom('runs').select(['project']).where('id', '=', record.id).executeTakeFirst();
          if (have) {
            if (have.project !== project) throw new HistoryRecordError(line, `run ${record.id} is already recorded in this store for project ${have.project}`);
            runs.set(record.id, null);
            result.skippedRuns++;
            break;
          }
          json(record.decision, line, 'the decision');
          const { t: _t, ...row } = record;
          const inserted = await trx
            .insertInto('runs')
            .values({
              ...row,
              project,
              // A run still running where it was exported is finished by no process here.
              state: row.state === 'running' ? 'interrupted' : row.state,
              started_at: time(row.started_at, line, 'started_at'),
              ended_at: row.ended_at === null ? null : time(row.ended_at, line, 'ended_at'),
            })
            .returning('seq')
            .executeTakeFirstOrThrow();
          runs.set(record.id, n(inserted.seq));
          result.runs++;
          break;
        }
        case 'gate': {
          const seq = runOf(record, line);
          if (seq === null) break;
          json(record.checks, line, 'the checks');
          const { t: _t, run: _r, ...row } = record;
          await trx.insertInto('gate_results').values({ ...row, run_seq: seq }).execute();
          break;
        }
        case 'test_log': {
          const seq = runOf(record, line);
          if (seq === null) break;
          const data = Buffer.from(record.data, 'base64');
          let count: number;
          try {
            count = decodeTestLog(data).count;
          } catch (e) {
            throw new HistoryRecordError(line, (e as Error).message);
          }
          if (count !== record.count) throw new HistoryRecordError(line, `the test log holds ${count} tests, the record says ${record.count}`);
          const at = `${record.run}\u0000${record.gate}`;
          if (gatesSeen.has(at)) throw new HistoryRecordError(line, `run ${record.run} has two test logs for gate ${record.gate}`);
          gatesSeen.add(at);
          await trx.insertInto('test_runs').values({ run_seq: seq, gate: record.gate, count, bad_once: record.bad_once, data }).execute();
          result.tests += count;
          break;
        }
        case 'test': {
          const seq = runOf(record, line);
          if (seq === null) break;
          const { t: _t, run: _r, ...row } = record;
          tests.push({ ...row, run_seq: seq });
          if (tests.length >= BATCH) await flushTests();
          break;
        }
        case 'test_id': {
          // A name must be the one its key was made from: a file cannot rename another test's history.
          if (testKey(project, record.test_id) !== record.id) throw new HistoryRecordError(line, `test ${JSON.stringify(record.test_id.slice(0, 120))} does not have key ${record.id} in project ${project}`);
          await trx
            .insertInto('test_ids')
            .values({ project, id: record.id, test_id: record.test_id })
            .onConflict((oc) => oc.columns(['project', 'id']).doNothing())
            .execute();
          break;
        }
        case 'metric': {
          const seq = runOf(record, line);
          if (seq === null) break;
          await trx.insertInto('metrics').values({ run_seq: seq, gate: record.gate, name: record.name, value: record.value, unit: record.unit }).execute();
          break;
        }
        case 'finding': {
          const seq = runOf(record, line);
          if (seq === null) break;
          const { t: _t, run: _r, ...row } = record;
          await trx.insertInto('findings').values({ ...row, run_seq: seq }).execute();
          break;
        }
        case 'baseline_sample': {
          const { t: _t, ...row } = record;
          const dup = await trx
            .selectFrom('baseline_samples')
            .select('name')
            .where('project', '=', project)
            .where('branch', '=', row.branch)
            .where('name', '=', row.name)
            .where('run_id', '=', row.run_id)
            .where((eb) => (row.gate === null ? eb('gate', 'is', null) : eb('gate', '=', row.gate)))
            .executeTakeFirst();
          if (dup) break;
          await trx.insertInto('baseline_samples').values({ ...row, project, started_at: time(row.started_at, line, 'started_at') }).execute();
          result.baselineSamples++;
          break;
        }
        case 'approval': {
          const { t: _t, ...row } = record;
          const at = time(row.at, line, 'the approval time');
          const dup = await trx
            .selectFrom('approvals')
            .select('id')
            .where('project', '=', project)
            .where('gate', '=', row.gate)
            .where('version', '=', row.version)
            .where('by', '=', row.by)
            .where('at', '=', at)
            .where((eb) => (row.commit === null ? eb('commit', 'is', null) : eb('commit', '=', row.commit)))
            .executeTakeFirst();
          if (dup) break;
          await trx.insertInto('approvals').values({ ...row, project, at }).execute();
          result.approvals++;
          break;
        }
        case 'quarantine': {
          json(record.tests, line, 'the quarantined tests');
          const tests = JSON.parse(record.tests) as unknown;
          if (!Array.isArray(tests) || tests.length === 0 || !tests.every((x) => typeof x === 'string' && x !== '')) {
            throw new HistoryRecordError(line, 'the quarantined tests are not a list of test ids or patterns');
          }
          if (record.until !== null && Number.isNaN(Date.parse(record.until))) throw new HistoryRecordError(line, `the quarantine end ${JSON.stringify(record.until)} is not a date`);
          if (await trx.selectFrom('quarantine').select('id').where('project', '=', project).where('id', '=', record.id).executeTakeFirst()) break;
          const { t: _t, ...row } = record;
          await trx.insertInto('quarantine').values({ ...row, project, added_at: time(row.added_at, line, 'added_at') }).execute();
          result.quarantine++;
          break;
        }
        case 'action': {
          json(record.steps, line, 'the steps');
          if (await trx.selectFrom('actions').select('id').where('id', '=', record.id).executeTakeFirst()) break;
          const { t: _t, ...row } = record;
          await trx
            .insertInto('actions')
            .values({ ...row, project, started_at: time(row.started_at, line, 'started_at'), ended_at: row.ended_at === null ? null : time(row.ended_at, line, 'ended_at') })
            .execute();
          result.actions++;
          break;
        }
      }
    }
    await flushTests();
    return result;
  });
}

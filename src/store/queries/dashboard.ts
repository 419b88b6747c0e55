/**
 * Reads for the dashboard (`shipgate serve`) and the retention command (`shipgate prune`). Every
 * read here is read-only: unlike listRuns/getRun, a run whose process died is reported as
 * interrupted without recording that, so that serving never writes to the store.
 */
import { sql, type Kysely } from 'kysely';
import type { Decision, TestCounts } from '../../decide/types.js';
import type { TestStatus } from '../../evidence/model.js';
import type { Database } from '../db.js';
import type {
  DashboardRunFilter,
  PruneResult,
  RunSummary,
  SlowTest,
  StoredRun,
  TestFailureCount,
  TestRunEntry,
  TrendRun,
} from '../store.js';
import { KeyTable } from '../key-table.js';
import { TestKeyer } from '../test-key.js';
import { decodeTestLog, isFlaky, statusOf } from '../test-log.js';
import { isDeadRun, SUMMARY_COLUMNS, toSummary, type Liveness } from './runs.js';
import { chunk, isPostgres, parseJson } from './util.js';

type Db = Kysely<Database>;

const IN_CHUNK = 5000;
const COLUMNS = SUMMARY_COLUMNS;

type Row = Parameters<typeof toSummary>[0];

/** The same rule as runs.ts's reconcile, applied in memory only. */
function liveSummary(r: Row, live: Liveness): RunSummary {
  const s = toSummary(r);
  if (isDeadRun(r, live)) s.state = 'interrupted';
  return s;
}

/** Projects with at least one recorded run, by name. */
export async function projects(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('runs').select('project').distinct().orderBy('project').execute();
  return rows.map((r) => r.project);
}

/** Branches with at least one recorded run of the project, by name (null branch left out). */
export async function branches(db: Db, project: string): Promise<string[]> {
  const rows = await db.selectFrom('runs').select('branch').distinct().where('project', '=', project).where('branch', 'is not', null).orderBy('branch').execute();
  return rows.map((r) => r.branch as string);
}

/** Newest first; `beforeId` pages back from a run (exclusive). */
export async function searchRuns(db: Db, f: DashboardRunFilter, live: Liveness): Promise<RunSummary[]> {
  let q = db.selectFrom('runs').select(COLUMNS).where('project', '=', f.project);
  if (f.branch !== undefined) q = q.where('branch', '=', f.branch);
  if (f.version !== undefined) q = q.where('version', '=', f.version);
  if (f.result !== undefined) q = q.where('result', '=', f.result);
  if (f.beforeId !== undefined) {
    const before = await db.selectFrom('runs').select('seq').where('project', '=', f.project).where('id', '=', f.beforeId).executeTakeFirst();
    if (!before) return [];
    q = q.where('seq', '<', before.seq);
  }
  const rows = await q.orderBy('seq', 'desc').limit(Math.max(1, Math.floor(f.limit))).execute();
  return rows.map((r) => liveSummary(r, live));
}

/** One run by its exact id (no prefixes: a link names a run, it does not search for one). */
export async function readRun(db: Db, project: string, id: string, live: Liveness): Promise<StoredRun | undefined> {
  const row = await db.selectFrom('runs').select([...COLUMNS, 'decision']).where('project', '=', project).where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  return { ...liveSummary(row, live), decision: row.decision == null ? null : parseJson<Decision>(row.decision, `decision of run ${row.id}`) };
}

/** Oldest first: the project's last `limit` runs with what trends plot (from decisions and metrics). */
export async function trendRuns(db: Db, project: string, opts: { branch?: string; limit: number }, live: Liveness): Promise<TrendRun[]> {
  let q = db.selectFrom('runs').select([...COLUMNS, 'decision']).where('project', '=', project).where('ended_at', 'is not', null);
  if (opts.branch !== undefined) q = q.where('branch', '=', opts.branch);
  const rows = (await q.orderBy('seq', 'desc').limit(Math.max(1, Math.floor(opts.limit))).execute()).reverse();
  const metrics = new Map<number, TrendRun['metrics']>();
  for (const part of chunk(rows.map((r) => r.seq), IN_CHUNK)) {
    const ms = await db.selectFrom('metrics').select(['run_seq', 'gate', 'name', 'value', 'unit']).where('run_seq', 'in', part).orderBy('run_seq').orderBy('gate').orderBy('name').execute();
    for (const m of ms) {
      const seq = Number(m.run_seq);
      let list = metrics.get(seq);
      if (!list) metrics.set(seq, (list = []));
      list.push({ gate: m.gate, name: m.name, value: Number(m.value), unit: m.unit });
    }
  }
  return rows.map((r) => {
    const d = r.decision == null ? null : parseJson<Decision>(r.decision, `decision of run ${r.id}`);
    const tests: TestCounts = { total: 0, passed: 0, failed: 0, errors: 0, skipped: 0, flaky: 0, quarantined: 0 };
    let counted = false;
    for (const g of d?.gates ?? []) {
      if (!g.counts) continue;
      counted = true;
      for (const k of Object.keys(tests) as (keyof TestCounts)[]) tests[k] += Number(g.counts[k] ?? 0);
    }
    return {
      ...liveSummary(r, live),
      gateDurations: (d?.gates ?? []).map((g) => ({ gate: g.id, status: g.status, durationMs: g.durationMs })),
      tests: counted ? tests : null,
      metrics: metrics.get(r.seq) ?? [],
    };
  });
}

async function windowSeqs(db: Db, project: string, window: number): Promise<{ seq: number; id: string; started_at: string }[]> {
  const rows = await db
    .selectFrom('runs')
    .select(['seq', 'id', 'started_at'])
    .where('project', '=', project)
    .where('ended_at', 'is not', null)
    .orderBy('seq', 'desc')
    .limit(Math.max(1, Math.floor(window)))
    .execute();
  return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
}

/** Tests that failed or errored most often in the project's last `window` finished runs. */
export async function mostFailing(db: Db, project: string, opts: { window: number; limit: number }): Promise<TestFailureCount[]> {
  const runs = await windowSeqs(db, project, opts.window);
  if (runs.length === 0) return [];
  const counts = new Map<number, { failures: number; lastSeq: number }>();
  for (const part of chunk(runs.map((r) => r.seq), IN_CHUNK)) {
    const rows = await db
      .selectFrom('test_results')
      .select((eb) => ['test_key', eb.fn.countAll<number | string>().as('n'), eb.fn.max('run_seq').as('last')])
      .where('run_seq', 'in', part)
      .where('status', 'in', ['failed', 'error'])
      .groupBy('test_key')
      .execute();
    for (const r of rows) {
      const k = Number(r.test_key);
      const have = counts.get(k) ?? { failures: 0, lastSeq: 0 };
      counts.set(k, { failures: have.failures + Number(r.n), lastSeq: Math.max(have.lastSeq, Number(r.last)) });
    }
  }
  const top = [...counts].sort((a, b) => b[1].failures - a[1].failures || b[1].lastSeq - a[1].lastSeq || a[0] - b[0]).slice(0, Math.max(1, opts.limit));
  const names = await keyNames(db, project, top.map((t) => t[0]));
  const byseq = new Map(runs.map((r) => [r.seq, r]));
  return top.map(([key, c]) => ({
    testId: names.get(key) ?? `#${key}`,
    failures: c.failures,
    runs: runs.length,
    lastFailedRunId: byseq.get(c.lastSeq)?.id ?? null,
    lastFailedAt: byseq.get(c.lastSeq)?.started_at ?? null,
  }));
}

/**
 * The slowest tests of the project's newest finished run that recorded tests. A test that never
 * failed has no name in the store (test-log.ts): it is shown by its key, `#<key>`.
 */
export async function slowestTests(db: Db, project: string, opts: { limit: number }): Promise<{ runId: string | null; tests: SlowTest[] }> {
  const run = await db
    .selectFrom('runs')
    .select(['seq', 'id'])
    .where('project', '=', project)
    .where('ended_at', 'is not', null)
    .where((eb) => eb.exists(eb.selectFrom('test_runs').select('run_seq').whereRef('test_runs.run_seq', '=', 'runs.seq')))
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!run) return { runId: null, tests: [] };
  const logs = await db.selectFrom('test_runs').select(['gate', 'data']).where('run_seq', '=', run.seq).orderBy('gate').execute();
  const all: { key: number; gate: string; durationMs: number; status: TestStatus }[] = [];
  for (const l of logs) {
    const log = decodeTestLog(l.data);
    for (let i = 0; i < log.count; i++) {
      const d = log.durations[i]!;
      if (Number.isFinite(d)) all.push({ key: log.keys[i]!, gate: l.gate, durationMs: d, status: statusOf(log.flags[i]!) });
    }
  }
  all.sort((a, b) => b.durationMs - a.durationMs || a.key - b.key);
  const top = all.slice(0, Math.max(1, opts.limit));
  const names = await keyNames(db, project, top.map((t) => t.key));
  return { runId: run.id, tests: top.map((t) => ({ testId: names.get(t.key) ?? `#${t.key}`, gate: t.gate, durationMs: t.durationMs, status: t.status })) };
}

/**
 * One test across the project's last `window` finished runs, newest first: its status in each run
 * it ran in, and the stored message where it failed. A `#<key>` id (a test without a name) is
 * looked up by that key.
 */
export async function testRuns(db: Db, project: string, testId: string, window: number): Promise<TestRunEntry[]> {
  const byKey = /^#(\d{1,16})$/.exec(testId);
  const key = byKey ? Number(byKey[1]) : new TestKeyer(project).key(testId);
  const runs = await windowSeqs(db, project, window);
  if (runs.length === 0 || !Number.isSafeInteger(key)) return [];
  const messages = new Map<number, { gate: string; message: string | null; durationMs: number | null; attempts: number }>();
  for (const part of chunk(runs.map((r) => r.seq), IN_CHUNK)) {
    const rows = await db.selectFrom('test_results').select(['run_seq', 'gate', 'message', 'duration_ms', 'attempts']).where('run_seq', 'in', part).where('test_key', '=', key).execute();
    for (const r of rows) messages.set(Number(r.run_seq), { gate: r.gate, message: r.message, durationMs: r.duration_ms === null ? null : Number(r.duration_ms), attempts: Number(r.attempts) });
  }
  const wanted = KeyTable.of([key]);
  const out: TestRunEntry[] = [];
  for (const run of runs) {
    const logs = await db.selectFrom('test_runs').select(['gate', 'data']).where('run_seq', '=', run.seq).orderBy('gate').execute();
    for (const l of logs) {
      const log = decodeTestLog(l.data);
      for (let i = 0; i < log.count; i++) {
        if (wanted.get(log.keys[i]!) < 0) continue;
        const m = messages.get(run.seq);
        const d = log.durations[i]!;
        out.push({
          runId: run.id,
          startedAt: run.started_at,
          gate: l.gate,
          status: statusOf(log.flags[i]!),
          flaky: isFlaky(log.flags[i]!),
          durationMs: Number.isFinite(d) ? d : null,
          attempts: log.attempts[i]!,
          message: m && m.gate === l.gate ? m.message : null,
        });
      }
    }
  }
  return out;
}

async function keyNames(db: Db, project: string, keys: readonly number[]): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  for (const part of chunk(keys, IN_CHUNK)) {
    if (part.length === 0) continue;
    const rows = await db.selectFrom('test_ids').select(['id', 'test_id']).where('project', '=', project).where('id', 'in', part).execute();
    for (const r of rows) names.set(Number(r.id), r.test_id);
  }
  return names;
}

/** Bytes the store takes: the SQLite file's pages, or PostgreSQL's tables and indexes in the store's schema. */
export async function storeSize(db: Db): Promise<number> {
  if (isPostgres(db)) {
    const r = await sql<{ n: string | number | null }>`select sum(pg_total_relation_size(c.oid)) as n from pg_class c join pg_namespace s on s.oid = c.relnamespace where s.nspname = current_schema() and c.relkind = 'r'`.execute(db);
    return Number(r.rows[0]?.n ?? 0);
  }
  const count = await sql<{ page_count: number }>`pragma page_count`.execute(db);
  const size = await sql<{ page_size: number }>`pragma page_size`.execute(db);
  return Number(count.rows[0]?.page_count ?? 0) * Number(size.rows[0]?.page_size ?? 0);
}

/**
 * Retention: for every finished run started before `before` (of `project`, or of every project),
 * delete its test logs, test rows and findings; the run row (decision, duration, result), its gate
 * results and its metrics stay, so trends and decisions survive. `keepLastGood` spares the
 * last-good run of each branch (what a rollback needs). Names no longer used by any row go too.
 */
export async function prune(db: Db, opts: { project?: string; before: string; keepLastGood: boolean }): Promise<PruneResult> {
  return db.transaction().execute(async (trx) => {
    // A run being recorded writes its test rows and then (again) their names in one transaction;
    // this lock waits for such a transaction to commit and keeps new ones out until the prune
    // commits, so a name is never judged unused while rows that use it are on their way. It is
    // self-exclusive, so two prunes do not deadlock. (SQLite: one writer at a time already.)
    if (isPostgres(trx)) await sql`lock table test_results in share row exclusive mode`.execute(trx);
    let q = trx.selectFrom('runs').select(['seq', 'id', 'project', 'branch', 'result', 'state', 'selection', 'dirty']).where('started_at', '<', opts.before).where('state', '!=', 'running');
    if (opts.project !== undefined) q = q.where('project', '=', opts.project);
    const old = await q.execute();
    const keep = new Set<number>();
    if (opts.keepLastGood) {
      let g = trx
        .selectFrom('runs')
        .select((eb) => ['project', 'branch', eb.fn.max('seq').as('seq')])
        .where('result', '=', 'READY')
        .where('state', '=', 'finished')
        .where('selection', 'is', null)
        .where((eb) => eb.or([eb('dirty', 'is', null), eb('dirty', '=', 0)]));
      if (opts.project !== undefined) g = g.where('project', '=', opts.project);
      for (const r of await g.groupBy(['project', 'branch']).execute()) keep.add(Number(r.seq));
    }
    const seqs = old.map((r) => Number(r.seq)).filter((s) => !keep.has(s));
    const result: PruneResult = { runs: 0, testLogs: 0, testRows: 0, findings: 0, names: 0, runIds: [], kept: old.length - seqs.length };
    if (seqs.length === 0) return result;
    const touched = new Set<number>();
    const projectOf = new Map(old.map((r) => [Number(r.seq), r.project]));
    const pruned = new Map<string, Set<number>>();
    for (const part of chunk(seqs, IN_CHUNK)) {
      for (const r of await trx.selectFrom('test_results').select(['run_seq', 'test_key']).distinct().where('run_seq', 'in', part).execute()) {
        const p = projectOf.get(Number(r.run_seq))!;
        let keys = pruned.get(p);
        if (!keys) pruned.set(p, (keys = new Set()));
        keys.add(Number(r.test_key));
      }
      for (const table of ['test_runs', 'test_results', 'findings'] as const) {
        for (const r of await trx.selectFrom(table).select('run_seq').distinct().where('run_seq', 'in', part).execute()) touched.add(Number(r.run_seq));
      }
      const logs = await trx.deleteFrom('test_runs').where('run_seq', 'in', part).executeTakeFirst();
      const rows = await trx.deleteFrom('test_results').where('run_seq', 'in', part).executeTakeFirst();
      const fnd = await trx.deleteFrom('findings').where('run_seq', 'in', part).executeTakeFirst();
      result.testLogs += Number(logs.numDeletedRows);
      result.testRows += Number(rows.numDeletedRows);
      result.findings += Number(fnd.numDeletedRows);
    }
    const bySeq = new Map(old.map((r) => [Number(r.seq), r.id]));
    result.runIds = seqs.map((s) => bySeq.get(s)!);
    result.runs = touched.size;
    // Names are only needed by rows that remain: the names of the pruned rows' tests go, unless
    // a remaining row of the project still uses them.
    let removed = 0;
    for (const [project, keys] of pruned) {
      for (const part of chunk([...keys], IN_CHUNK)) {
        const names = await trx
          .deleteFrom('test_ids')
          .where('project', '=', project)
          .where('id', 'in', part)
          .where((eb) =>
            eb.not(
              eb.exists(
                eb
                  .selectFrom('test_results')
                  .innerJoin('runs', 'runs.seq', 'test_results.run_seq')
                  .select('test_results.run_seq')
                  .whereRef('test_results.test_key', '=', 'test_ids.id')
                  .where('runs.project', '=', project),
              ),
            ),
          )
          .executeTakeFirst();
        removed += Number(names.numDeletedRows);
      }
    }
    result.names = removed;
    return result;
  });
}

import type { Kysely } from 'kysely';
import type { Decision } from '../../model/types.js';
import { StoreError, UsageError } from '../../errors.js';
import type { Database, RunRow } from '../db.js';
import type { GateRetryRate, RunFinish, RunStart, RunState, RunSummary } from '../store.js';
import { insertFindings } from './findings.js';
import { insertMetrics } from './metrics.js';
import { insertTests, nameTests, renameTests } from './tests.js';
import { chunk, finiteOrNull, isoTime, parseJson, rowsPerInsert } from './util.js';
import { windowRuns } from './window.js';

type Db = Kysely<Database>;

/** A 'running' run older than this is reported as interrupted from any host (its pid cannot be checked). */
const STALE_RUN_MS = 24 * 60 * 60 * 1000;

export interface Liveness {
  host: string;
  now: () => number;
  pidAlive: (pid: number) => boolean;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function beginRun(db: Db, run: RunStart, pid: number): Promise<void> {
  if (!run.id) throw new StoreError('STORE_WRITE', 'a run needs a non-empty id');
  const existing = await db.selectFrom('runs').select('seq').where('id', '=', run.id).executeTakeFirst();
  if (existing) throw new StoreError('STORE_WRITE', `a run with id ${run.id} is already recorded`, { hint: 'run ids must be unique' });
  await db
    .insertInto('runs')
    .values({
      id: run.id,
      project: run.project,
      version: run.version,
      commit: run.commit,
      branch: run.branch,
      ci: run.ci ? 1 : 0,
      host: run.host,
      pid,
      config_hash: run.configHash,
      started_at: isoTime(run.startedAt, 'run start'),
      state: 'running',
      retries: 0,
      gates: 0,
      selection: run.selection ?? null,
      dirty: run.tree === undefined || run.tree === null ? null : run.tree.dirty ? 1 : 0,
      dirty_files: run.tree ? run.tree.files : null,
      tree: run.tree?.fingerprint ?? null,
    })
    .execute();
}

/** Points inside finishRun where a test makes another writer act. */
export interface FinishSeam {
  /** Between the names' own transaction and the main one. */
  afterNames?: () => Promise<void>;
  /** Inside the main transaction, once the test rows and their names are written, before the commit. */
  inRows?: () => Promise<void>;
}

export async function finishRun(db: Db, runId: string, finish: RunFinish, seam: FinishSeam = {}): Promise<void> {
  const run = await db.selectFrom('runs').select(['seq', 'project', 'state', 'started_at']).where('id', '=', runId).executeTakeFirst();
  if (!run) throw new StoreError('STORE_WRITE', `cannot finish run ${runId}: it was never begun in this store`, { hint: 'call beginRun first' });
  if (run.state === 'finished') throw new StoreError('STORE_WRITE', `run ${runId} is already finished`);
  const endedAt = isoTime(finish.endedAt, 'run end');
  const d = finish.decision;
  const duration = finiteOrNull(d.durationMs) ?? Math.max(0, Date.parse(endedAt) - Date.parse(run.started_at));
  const retries = d.gates.reduce((n, g) => n + Math.max(0, g.attempts - 1), 0);

  // The names of the failing tests' keys go into the dictionary in their own short transaction
  // first: entries are harmless if the run then fails, and the main transaction below holds its
  // locks for less time. Passing tests need no name.
  await nameTests(db, run.project, finish.tests);
  await seam.afterNames?.();

  await db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('runs')
      .set({
        ended_at: endedAt,
        duration_ms: duration,
        result: d.result,
        state: d.interrupted ? 'interrupted' : 'finished',
        retries,
        gates: d.gates.length,
        decision: JSON.stringify(d),
      })
      .where('seq', '=', run.seq)
      .where('state', '!=', 'finished')
      .executeTakeFirst();
    // Another process finished it between our read and this write.
    if (Number(updated.numUpdatedRows) !== 1) throw new StoreError('STORE_WRITE', `run ${runId} is already finished`);
    const gateRows = d.gates.map((g) => ({
      run_seq: run.seq,
      gate: g.id,
      status: g.status,
      severity: g.severity,
      duration_ms: finiteOrNull(g.durationMs) ?? 0,
      attempts: g.attempts,
      reason: g.reason ?? null,
      checks: JSON.stringify(g.checks),
    }));
    for (const part of chunk(gateRows, rowsPerInsert(8))) await trx.insertInto('gate_results').values(part).execute();
    await insertTests(trx, run.project, run.seq, finish.tests);
    await renameTests(trx, run.project, finish.tests);
    await seam.inRows?.();
    await insertMetrics(trx, run.seq, finish.metrics);
    await insertFindings(trx, run.seq, finish.findings ?? []);
  });
}

export const SUMMARY_COLUMNS = [
  'seq',
  'id',
  'project',
  'version',
  'commit',
  'branch',
  'ci',
  'host',
  'pid',
  'config_hash',
  'started_at',
  'ended_at',
  'duration_ms',
  'result',
  'state',
  'retries',
  'gates',
  'selection',
  'dirty',
  'dirty_files',
] as const;
type SummaryRow = Pick<RunRow, (typeof SUMMARY_COLUMNS)[number]>;

export function toSummary(r: SummaryRow): RunSummary {
  return {
    id: r.id,
    project: r.project,
    version: r.version,
    commit: r.commit,
    branch: r.branch,
    ci: Number(r.ci) === 1,
    host: r.host,
    configHash: r.config_hash,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    durationMs: r.duration_ms == null ? null : Number(r.duration_ms),
    result: r.result === 'READY' || r.result === 'BLOCKED' ? r.result : null,
    state: r.state as RunState,
    retries: Number(r.retries),
    gates: Number(r.gates),
    partial: r.selection !== null,
    selection: r.selection,
    dirty: r.dirty === null ? null : Number(r.dirty) === 1,
    dirtyFiles: r.dirty_files === null ? null : Number(r.dirty_files),
  };
}

/** A run marked 'running' whose recording process is gone, or that is older than a day (its pid cannot be checked from another host). */
export function isDeadRun(r: Pick<SummaryRow, 'state' | 'host' | 'pid' | 'started_at'>, live: Liveness, now = live.now()): boolean {
  return r.state === 'running' && ((r.host === live.host && !live.pidAlive(Number(r.pid))) || now - Date.parse(r.started_at) > STALE_RUN_MS);
}

/**
 * A run still marked 'running' whose process is gone was killed (SIGKILL, power loss): report it
 * as interrupted and record that, so every later reader agrees without re-checking.
 */
async function reconcile<T extends SummaryRow>(db: Db, rows: T[], live: Liveness): Promise<T[]> {
  const now = live.now();
  const dead = rows.filter((r) => isDeadRun(r, live, now));
  if (dead.length === 0) return rows;
  await db
    .updateTable('runs')
    .set({ state: 'interrupted' })
    .where('seq', 'in', dead.map((r) => r.seq))
    .where('state', '=', 'running')
    .execute();
  const deadSeqs = new Set(dead.map((r) => r.seq));
  return rows.map((r) => (deadSeqs.has(r.seq) ? { ...r, state: 'interrupted' } : r));
}

export async function listRuns(
  db: Db,
  project: string,
  opts: { limit?: number; branch?: string },
  live: Liveness,
): Promise<RunSummary[]> {
  let q = db.selectFrom('runs').select(SUMMARY_COLUMNS).where('project', '=', project);
  if (opts.branch !== undefined) q = q.where('branch', '=', opts.branch);
  const rows = await q.orderBy('seq', 'desc').limit(Math.max(1, opts.limit ?? 20)).execute();
  return (await reconcile(db, rows, live)).map(toSummary);
}

export async function getRun(
  db: Db,
  project: string,
  idOrPrefix: string,
  live: Liveness,
): Promise<(RunSummary & { decision: Decision | null }) | undefined> {
  if (!idOrPrefix) return undefined;
  const columns = [...SUMMARY_COLUMNS, 'decision'] as const;
  let rows = await db.selectFrom('runs').select(columns).where('project', '=', project).where('id', '=', idOrPrefix).execute();
  if (rows.length === 0) {
    // substr rather than LIKE: SQLite's LIKE ignores case and has no default escape character.
    const candidates = await db
      .selectFrom('runs')
      .select(columns)
      .where('project', '=', project)
      .where((eb) => eb(eb.fn('substr', ['id', eb.val(1), eb.val(idOrPrefix.length)]), '=', idOrPrefix))
      .orderBy('seq', 'desc')
      .limit(11)
      .execute();
    rows = candidates.filter((r) => r.id.startsWith(idOrPrefix));
  }
  if (rows.length > 1) {
    const shown = rows.slice(0, 10).map((r) => r.id).join(', ');
    throw new UsageError(`run id prefix "${idOrPrefix}" matches several runs: ${shown}${rows.length > 10 ? ', …' : ''}`, 'give more characters of the run id');
  }
  const [row] = await reconcile(db, rows, live);
  if (!row) return undefined;
  return { ...toSummary(row), decision: row.decision == null ? null : parseJson<Decision>(row.decision, `decision of run ${row.id}`) };
}

export async function lastGood(
  db: Db,
  project: string,
  opts: { branch?: string; beforeRunId?: string; excludeCommit?: string; version?: string; excludeVersion?: string },
): Promise<RunSummary | undefined> {
  let q = db
    .selectFrom('runs')
    .select(SUMMARY_COLUMNS)
    .where('project', '=', project)
    .where('result', '=', 'READY')
    .where('state', '=', 'finished')
    // A partial run did not check everything, and a dirty one did not test the commit it names.
    .where('selection', 'is', null)
    .where((eb) => eb.or([eb('dirty', 'is', null), eb('dirty', '=', 0)]));
  if (opts.branch !== undefined) q = q.where('branch', '=', opts.branch);
  if (opts.version !== undefined) q = q.where('version', '=', opts.version);
  if (opts.excludeVersion !== undefined) q = q.where('version', '!=', opts.excludeVersion);
  if (opts.beforeRunId !== undefined) {
    const before = await db
      .selectFrom('runs')
      .select('seq')
      .where('project', '=', project)
      .where('id', '=', opts.beforeRunId)
      .executeTakeFirst();
    if (!before) return undefined;
    q = q.where('seq', '<', before.seq);
  }
  if (opts.excludeCommit !== undefined) q = q.where('commit', 'is not', null).where('commit', '!=', opts.excludeCommit);
  const row = await q.orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return row ? toSummary(row) : undefined;
}

export async function runCount(db: Db, project: string, branch: string): Promise<number> {
  const row = await db
    .selectFrom('runs')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('project', '=', project)
    .where('branch', '=', branch)
    // Finished runs only: the run asking (still running) is not history yet.
    .where('state', '=', 'finished')
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function gateRetryRates(db: Db, project: string, window: number): Promise<GateRetryRate[]> {
  const seqs = await windowRuns(db, project, window);
  if (seqs.length === 0) return [];
  const rows = await db
    .selectFrom('gate_results')
    .select((eb) => [
      'gate',
      eb.fn.countAll().as('runs'),
      eb.fn.sum(eb.case().when('attempts', '>', 1).then(1).else(0).end()).as('retried'),
    ])
    .where('run_seq', 'in', seqs)
    .where('attempts', '>=', 1)
    .groupBy('gate')
    .orderBy('gate')
    .execute();
  return rows.map((r) => {
    const runs = Number(r.runs);
    const retried = Number(r.retried);
    return { gate: r.gate, runs, retried, rate: runs === 0 ? 0 : retried / runs };
  });
}

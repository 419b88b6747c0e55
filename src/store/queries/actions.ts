import type { Kysely, Selectable } from 'kysely';
import { StoreError } from '../../errors.js';
import type { ActionsTable, Database } from '../db.js';
import type { ActionKind, ActionRecord, ActionResult, ActionStep } from '../store.js';
import { isoTime, parseJson } from './util.js';

type Db = Kysely<Database>;

export async function addAction(db: Db, a: ActionRecord): Promise<void> {
  for (const [field, value] of [['id', a.id], ['project', a.project], ['by', a.by], ['toVersion', a.toVersion]] as const) {
    if (!value) throw new StoreError('STORE_WRITE', `a ${a.kind} record needs a non-empty ${field}`);
  }
  await db
    .insertInto('actions')
    .values({
      id: a.id,
      project: a.project,
      kind: a.kind,
      by: a.by,
      from_version: a.fromVersion,
      to_version: a.toVersion,
      to_commit: a.toCommit,
      run_id: a.runId,
      forced: a.forced ? 1 : 0,
      started_at: isoTime(a.startedAt, `${a.kind} start`),
      ended_at: a.endedAt === null ? null : isoTime(a.endedAt, `${a.kind} end`),
      duration_ms: a.durationMs,
      result: a.result,
      steps: JSON.stringify(a.steps),
    })
    .execute();
}

export async function finishAction(db: Db, id: string, end: { endedAt: string; durationMs: number; result: ActionResult; steps: ActionStep[] }): Promise<void> {
  const res = await db
    .updateTable('actions')
    .set({ ended_at: isoTime(end.endedAt, 'end'), duration_ms: end.durationMs, result: end.result, steps: JSON.stringify(end.steps) })
    .where('id', '=', id)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) throw new StoreError('STORE_WRITE', `no rollback or publish ${id} to finish`);
}

export async function listActions(db: Db, project: string, opts: { limit?: number; kind?: ActionKind }): Promise<ActionRecord[]> {
  let q = db.selectFrom('actions').selectAll().where('project', '=', project);
  if (opts.kind) q = q.where('kind', '=', opts.kind);
  const rows = await q.orderBy('seq', 'desc').limit(Math.max(1, opts.limit ?? 20)).execute();
  return rows.map(toAction);
}

export async function getAction(db: Db, project: string, id: string): Promise<ActionRecord | undefined> {
  const row = await db.selectFrom('actions').selectAll().where('project', '=', project).where('id', '=', id).executeTakeFirst();
  return row ? toAction(row) : undefined;
}

function toAction(r: Selectable<ActionsTable>): ActionRecord {
  return {
    id: r.id,
    project: r.project,
    kind: r.kind as ActionKind,
    by: r.by,
    fromVersion: r.from_version,
    toVersion: r.to_version,
    toCommit: r.to_commit,
    runId: r.run_id,
    forced: Number(r.forced) === 1,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    durationMs: r.duration_ms == null ? null : Number(r.duration_ms),
    result: r.result as ActionResult,
    steps: parseJson<ActionStep[]>(r.steps, `steps of ${r.kind} ${r.id}`),
  };
}

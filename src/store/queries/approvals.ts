import type { Kysely, Selectable } from 'kysely';
import { StoreError } from '../../errors.js';
import type { ApprovalsTable, Database } from '../db.js';
import type { Approval } from '../store.js';
import { isoTime } from './util.js';

type Db = Kysely<Database>;

export async function addApproval(db: Db, a: Approval): Promise<void> {
  for (const [field, value] of [['project', a.project], ['gate', a.gate], ['version', a.version], ['by', a.by]] as const) {
    if (!value) throw new StoreError('STORE_WRITE', `an approval needs a non-empty ${field}`);
  }
  await db
    .insertInto('approvals')
    .values({
      project: a.project,
      gate: a.gate,
      version: a.version,
      commit: a.commit,
      by: a.by,
      evidence: a.evidence ?? null,
      note: a.note ?? null,
      at: isoTime(a.at, 'approval time'),
      definition: a.definition ?? null,
      signature: a.signature ?? null,
    })
    .execute();
}

export async function listApprovals(db: Db, project: string, opts: { gate?: string; version?: string }): Promise<Approval[]> {
  let q = db.selectFrom('approvals').selectAll().where('project', '=', project);
  if (opts.gate !== undefined) q = q.where('gate', '=', opts.gate);
  if (opts.version !== undefined) q = q.where('version', '=', opts.version);
  const rows = await q.orderBy('at', 'desc').orderBy('id', 'desc').execute();
  return rows.map(toApproval);
}

export async function findApprovals(db: Db, project: string, gate: string, version: string, commit: string | null): Promise<Approval[]> {
  const rows = await db
    .selectFrom('approvals')
    .selectAll()
    .where('project', '=', project)
    .where('gate', '=', gate)
    .where('version', '=', version)
    // An approval is bound to what was approved: a null commit matches only an approval without one.
    .where('commit', commit === null ? 'is' : '=', commit)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(100)
    .execute();
  return rows.map(toApproval);
}

function toApproval(r: Selectable<ApprovalsTable>): Approval {
  return {
    project: r.project,
    gate: r.gate,
    version: r.version,
    commit: r.commit,
    by: r.by,
    ...(r.evidence !== null ? { evidence: r.evidence } : {}),
    ...(r.note !== null ? { note: r.note } : {}),
    at: r.at,
    ...(r.definition !== null ? { definition: r.definition } : {}),
    ...(r.signature !== null ? { signature: r.signature } : {}),
  };
}

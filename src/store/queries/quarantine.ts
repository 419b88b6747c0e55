import type { Kysely, Selectable } from 'kysely';
import { StoreError } from '../../errors.js';
import { crypto } from '../../util/crypto-on-use.js';
import type { Database, QuarantineTable } from '../db.js';
import type { StoredQuarantine } from '../store.js';
import { isoTime, parseJson } from './util.js';

type Db = Kysely<Database>;

export async function addQuarantine(
  db: Db,
  q: { project: string; tests: string[]; reason: string; until?: string; by?: string },
): Promise<string> {
  const tests = [...new Set(q.tests.map((t) => t.trim()).filter((t) => t !== ''))];
  if (tests.length === 0) throw new StoreError('STORE_WRITE', 'a quarantine entry needs at least one test id or pattern');
  if (!q.reason.trim()) throw new StoreError('STORE_WRITE', 'a quarantine entry needs a reason', { hint: 'say why the tests are quarantined' });
  if (q.until !== undefined) isoTime(q.until, 'quarantine end');
  const id = `q${crypto().randomBytes(4).toString('hex')}`;
  await db
    .insertInto('quarantine')
    .values({
      id,
      project: q.project,
      tests: JSON.stringify(tests),
      reason: q.reason,
      // Kept as given: a plain date (YYYY-MM-DD) means "through that day" to the policy that reads it.
      until: q.until ?? null,
      by: q.by ?? null,
      added_at: new Date().toISOString(),
    })
    .execute();
  return id;
}

export async function removeQuarantine(db: Db, project: string, idOrPattern: string): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const byId = await trx.deleteFrom('quarantine').where('project', '=', project).where('id', '=', idOrPattern).executeTakeFirst();
    if (Number(byId.numDeletedRows) > 0) return Number(byId.numDeletedRows);
    let changed = 0;
    for (const row of await trx.selectFrom('quarantine').selectAll().where('project', '=', project).execute()) {
      const tests = parseJson<string[]>(row.tests, `quarantine entry ${row.id}`);
      if (!tests.includes(idOrPattern)) continue;
      const rest = tests.filter((t) => t !== idOrPattern);
      if (rest.length === 0) await trx.deleteFrom('quarantine').where('id', '=', row.id).execute();
      else await trx.updateTable('quarantine').set({ tests: JSON.stringify(rest) }).where('id', '=', row.id).execute();
      changed++;
    }
    return changed;
  });
}

export async function listQuarantine(db: Db, project: string): Promise<StoredQuarantine[]> {
  const rows = await db.selectFrom('quarantine').selectAll().where('project', '=', project).orderBy('seq').execute();
  return rows.map(toStored);
}

function toStored(r: Selectable<QuarantineTable>): StoredQuarantine {
  return {
    id: r.id,
    project: r.project,
    tests: parseJson<string[]>(r.tests, `quarantine entry ${r.id}`),
    reason: r.reason,
    ...(r.until !== null ? { until: r.until } : {}),
    ...(r.by !== null ? { by: r.by } : {}),
    addedAt: r.added_at,
  };
}

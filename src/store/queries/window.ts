import type { Kysely } from 'kysely';
import type { Database } from '../db.js';

/** Sequence numbers of the project's last `window` finished runs, newest first. */
export async function windowRuns(db: Kysely<Database>, project: string, window: number): Promise<number[]> {
  const rows = await db
    .selectFrom('runs')
    .select('seq')
    .where('project', '=', project)
    .where('ended_at', 'is not', null)
    .orderBy('seq', 'desc')
    .limit(Math.max(1, Math.floor(window)))
    .execute();
  return rows.map((r) => r.seq);
}

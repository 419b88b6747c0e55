import type { Kysely } from 'kysely';
import type { Database } from '../db.js';
import type { StoredFinding } from '../store.js';
import { insertChunked } from './util.js';

type Db = Kysely<Database>;

export async function insertFindings(db: Db, runSeq: number, groups: { gate: string; findings: StoredFinding[] }[]): Promise<void> {
  const rows = groups.flatMap(({ gate, findings }) => {
    // One row per fingerprint and gate: the baseline asks "was it there", not "how often".
    const seen = new Set<string>();
    return findings.flatMap((f) => {
      if (seen.has(f.fingerprint)) return [];
      seen.add(f.fingerprint);
      return [{ run_seq: runSeq, gate, fingerprint: f.fingerprint, level: f.level, rule: f.ruleId, file: f.file ?? null, line: f.line ?? null }];
    });
  });
  if (rows.length === 0) return;
  await insertChunked(db, rows, ['run_seq', 'gate', 'fingerprint', 'level', 'rule', 'file', 'line'], (part) => db.insertInto('findings').values(part));
}

/**
 * The baseline of `findings.new`: the fingerprints of the newest READY, full, clean run on
 * `branch` in which `gate` ran. Undefined when no such run exists.
 */
export async function baselineFindings(db: Db, project: string, gate: string, branch: string): Promise<{ runId: string; fingerprints: Set<string> } | undefined> {
  const run = await db
    .selectFrom('runs as r')
    .innerJoin('gate_results as g', 'g.run_seq', 'r.seq')
    .select(['r.seq', 'r.id'])
    .where('r.project', '=', project)
    .where('r.branch', '=', branch)
    .where('r.result', '=', 'READY')
    .where('r.state', '=', 'finished')
    .where('r.selection', 'is', null)
    .where((eb) => eb.or([eb('r.dirty', 'is', null), eb('r.dirty', '=', 0)]))
    .where('g.gate', '=', gate)
    .where('g.status', 'in', ['pass', 'warn', 'info'])
    .orderBy('r.seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!run) return undefined;
  const fingerprints = new Set<string>();
  const rows = await db.selectFrom('findings').select('fingerprint').where('run_seq', '=', run.seq).where('gate', '=', gate).execute();
  for (const r of rows) fingerprints.add(r.fingerprint);
  return { runId: run.id, fingerprints };
}



import { sql, type Kysely } from 'kysely';
import type { Metric } from '../../model/evidence.js';
import type { BaselineSample } from '../../policy/baseline.js';
import type { Database } from '../db.js';
import type { BaselineExport } from '../store.js';
import { BASELINE_FORMAT, parseBaselineExport } from './baseline-format.js';
import { chunk, rowsPerInsert } from './util.js';

type Db = Kysely<Database>;

export async function insertMetrics(db: Db, runSeq: number, groups: { gate: string; metrics: Metric[] }[]): Promise<void> {
  const rows = groups.flatMap(({ gate, metrics }) =>
    metrics
      // NaN/Infinity cannot serve as a baseline (and SQLite would store NaN as NULL).
      .filter((m) => Number.isFinite(m.value))
      .map((m) => ({ run_seq: runSeq, gate, name: m.name, value: m.value, unit: m.unit ?? null })),
  );
  for (const part of chunk(rows, rowsPerInsert(5))) await db.insertInto('metrics').values(part).execute();
}

interface UnitSample extends BaselineSample {
  unit: string | null;
}

/**
 * Per metric, newest first: the last `runs` finished READY runs on `branch` that measured it in
 * each gate (a sample names its gate: `tests.total` of one gate is no baseline for another's),
 * merged with imported samples (a recorded run wins over an imported copy of itself).
 */
export async function samplesWithUnits(
  db: Db,
  project: string,
  opts: { names?: string[]; branch: string; runs: number },
): Promise<Map<string, UnitSample[]>> {
  const n = Math.max(1, Math.floor(opts.runs));
  if (opts.names !== undefined && opts.names.length === 0) return new Map();
  let inner = db
    .selectFrom('metrics as m')
    .innerJoin('runs as r', 'r.seq', 'm.run_seq')
    .select([
      'm.name',
      'm.gate',
      'm.value',
      'm.unit',
      'r.id as run_id',
      'r.version',
      'r.commit',
      'r.started_at',
      'r.branch',
      'r.seq',
      // Per gate and name: each gate's own last runs.
      sql<number>`dense_rank() over (partition by ${sql.ref('m.gate')}, ${sql.ref('m.name')} order by ${sql.ref('r.seq')} desc)`.as('rk'),
    ])
    .where('r.project', '=', project)
    .where('r.branch', '=', opts.branch)
    .where('r.result', '=', 'READY')
    .where('r.state', '=', 'finished')
    // A partial run (--only/--skip) did not check everything, and a run on uncommitted changes did
    // not measure the commit it names: neither is a baseline.
    .where('r.selection', 'is', null)
    .where((eb) => eb.or([eb('r.dirty', 'is', null), eb('r.dirty', '=', 0)]));
  if (opts.names) inner = inner.where('m.name', 'in', opts.names);
  const recorded = await db
    .selectFrom(inner.as('s'))
    .selectAll('s')
    .where('s.rk', '<=', n)
    .orderBy('s.name')
    .orderBy('s.gate')
    .orderBy('s.seq', 'desc')
    .execute();

  let imp = db.selectFrom('baseline_samples').selectAll().where('project', '=', project).where('branch', '=', opts.branch);
  if (opts.names) imp = imp.where('name', 'in', opts.names);
  const imported = await imp.execute();

  const known = new Set<string>();
  if (imported.length > 0) {
    for (const part of chunk([...new Set(imported.map((s) => s.run_id))], 5000)) {
      const rows = await db.selectFrom('runs').select('id').where('project', '=', project).where('id', 'in', part).execute();
      for (const r of rows) known.add(r.id);
    }
  }

  const byName = new Map<string, UnitSample[]>();
  const seen = new Set<string>();
  const add = (name: string, s: UnitSample): void => {
    const key = `${name}\u0000${s.gate ?? ''}\u0000${s.runId}`;
    if (seen.has(key)) return;
    seen.add(key);
    const list = byName.get(name) ?? [];
    list.push(s);
    byName.set(name, list);
  };
  for (const r of recorded) {
    add(r.name, { gate: r.gate, value: Number(r.value), unit: r.unit, runId: r.run_id, version: r.version, commit: r.commit, startedAt: r.started_at, branch: r.branch });
  }
  for (const s of imported) {
    if (known.has(s.run_id)) continue;
    add(s.name, { ...(s.gate !== null ? { gate: s.gate } : {}), value: Number(s.value), unit: s.unit, runId: s.run_id, version: s.version, commit: s.commit, startedAt: s.started_at, branch: s.sample_branch });
  }
  for (const [name, list] of byName) {
    list.sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt));
    // Keep the newest `runs` samples of each gate.
    const perGate = new Map<string, number>();
    byName.set(
      name,
      list.filter((x) => {
        const k = x.gate ?? '';
        const c = perGate.get(k) ?? 0;
        perGate.set(k, c + 1);
        return c < n;
      }),
    );
  }
  return byName;
}

export async function metricSamples(
  db: Db,
  project: string,
  opts: { names?: string[]; branch: string; runs: number },
): Promise<Map<string, BaselineSample[]>> {
  const withUnits = await samplesWithUnits(db, project, opts);
  return new Map([...withUnits].map(([name, list]) => [name, list.map(({ unit: _unit, ...s }) => s)]));
}

export async function exportBaseline(db: Db, project: string, branch: string, runs: number): Promise<BaselineExport> {
  const samples = await samplesWithUnits(db, project, { branch, runs });
  return {
    format: BASELINE_FORMAT,
    project,
    branch,
    exportedAt: new Date().toISOString(),
    metrics: [...samples.keys()].sort().map((name) => {
      const list = samples.get(name) ?? [];
      const unit = list.find((s) => s.unit !== null)?.unit ?? undefined;
      return { name, ...(unit !== undefined ? { unit } : {}), samples: list.map(({ unit: _unit, ...s }) => s) };
    }),
  };
}

/** Returns the number of samples added; samples already imported (same branch, metric and run) are skipped. */
export async function importBaseline(db: Db, project: string, data: unknown): Promise<number> {
  const doc = parseBaselineExport(data);
  const rows = doc.metrics.flatMap((m) =>
    m.samples.map((s) => ({
      project,
      branch: doc.branch,
      name: m.name,
      unit: m.unit ?? null,
      value: s.value,
      run_id: s.runId,
      version: s.version,
      commit: s.commit,
      started_at: new Date(Date.parse(s.startedAt)).toISOString(),
      sample_branch: s.branch,
      gate: s.gate ?? null,
    })),
  );
  return db.transaction().execute(async (trx) => {
    let added = 0;
    for (const part of chunk(rows, rowsPerInsert(11))) {
      const res = await trx
        .insertInto('baseline_samples')
        .values(part)
        .onConflict((oc) => oc.columns(['project', 'branch', 'name', 'run_id']).doNothing())
        .executeTakeFirst();
      added += Number(res.numInsertedOrUpdatedRows ?? 0);
    }
    return added;
  });
}

/** The metrics one run recorded, by gate. */
export async function runMetrics(db: Db, project: string, runId: string): Promise<{ gate: string; name: string; value: number; unit: string | null }[]> {
  return db
    .selectFrom('metrics as m')
    .innerJoin('runs as r', 'r.seq', 'm.run_seq')
    .select(['m.gate', 'm.name', 'm.value', 'm.unit'])
    .where('r.project', '=', project)
    .where('r.id', '=', runId)
    .orderBy('m.gate')
    .orderBy('m.name')
    .execute();
}

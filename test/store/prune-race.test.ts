/**
 * A prune racing a run being recorded, on both backends: the run writes its failing tests' names in
 * a short transaction of their own and its rows afterwards, so a prune that comes in between finds
 * a name that no row uses yet. The run's rows must still end up named (not shown as #KEY). The same
 * for a prune that comes while a run's or a history import's transaction is open (PostgreSQL).
 */
import type { Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/store/db.js';
import { openPostgres } from '../../src/store/postgres.js';
import { finishRun } from '../../src/store/queries/runs.js';
import { openSqlite } from '../../src/store/sqlite.js';
import type { HistoryRecord } from '../../src/store/history-file.js';
import { openStore, type OpenStoreOptions, type Store } from '../../src/store/store.js';
import { finishOf, PG_URL, postgresBackend, record, sqliteBackend, test, type Backend } from '../fixtures/store/helpers.js';

const backends: Backend[] = [sqliteBackend(), postgresBackend()];
afterAll(async () => {
  for (const b of backends) await b.cleanup();
});

const old = (days: number): string => new Date(Date.now() - days * 86_400_000).toISOString();

function rawDb(where: OpenStoreOptions): Kysely<Database> {
  return where.file !== undefined ? openSqlite(where.file) : openPostgres({ url: where.url!, schema: where.schema });
}

/**
 * Start a prune of `project`'s runs older than 90 days and return once it is either finished (it
 * did not wait: the bug) or seen waiting for a lock on this schema's test_results (only a prune
 * asks for one there). `names`: how many names the prune removed.
 */
async function pruneUntilWaiting(store: Store, watch: pg.Client, schema: string | undefined, project: string): Promise<{ waited: boolean; names: Promise<number> }> {
  let settled = false;
  const names = store.prune({ project, before: old(90), keepLastGood: false }).then((r) => ((settled = true), r.names));
  for (;;) {
    const r = await watch.query('select count(*)::int as n from pg_locks where relation = $1::regclass and not granted', [`${schema}.test_results`]);
    if (r.rows[0].n > 0) return { waited: true, names };
    if (settled) return { waited: false, names };
    await new Promise((res) => setTimeout(res, 10));
  }
}

/** The prune waited for the writer, removed no name, and the writer's rows are named and kept. */
async function expectWaitedAndNamed(seen: { waited: boolean; names: Promise<number> }, store: Store, backend: Backend, where: OpenStoreOptions, project: string, runId: string): Promise<void> {
  const names = await seen.names;
  expect(seen.waited).toBe(true);
  expect(names).toBe(0);
  const kept = await backend.raw(where, 'select test_id from test_ids where project = $1', [project]);
  expect(kept.map((r) => r.test_id)).toEqual(['t::fails']);
  expect((await store.testRuns(project, 't::fails', 10)).map((r) => r.runId)).toEqual([runId]);
}

describe.each(backends)('prune racing a run: $name', (backend) => {
  it("a prune between a run's names and its rows does not leave the rows nameless", async () => {
    const where = backend.fresh();
    const store: Store = await openStore(where);
    const db = rawDb(where);
    try {
      const p = 'race';
      const failing = [test('t::fails', 'failed', { message: 'still broken' })];
      // An old run whose rows are the only ones using the name: the prune removes them, and the name.
      await record(store, { project: p, id: 'old', startedAt: old(120), tests: failing, result: 'BLOCKED' });
      const startedAt = new Date().toISOString();
      await store.beginRun({ id: 'new', project: p, version: '1.0.1', commit: 'c1', branch: 'main', ci: true, host: 'h', configHash: 'cfg', startedAt, selection: null });
      let pruned = 0;
      await finishRun(db, 'new', finishOf({ project: p, id: 'new', startedAt, tests: failing, result: 'BLOCKED' }), {
        // The other writer acts in the window: the name is there, no row of the new run is yet.
        afterNames: async () => {
          pruned = (await store.prune({ project: p, before: old(90), keepLastGood: false })).names;
        },
      });
      // The attack happened: the prune removed the name as unused…
      expect(pruned).toBe(1);
      // …and the new run's rows are named all the same.
      const names = await backend.raw(where, 'select test_id from test_ids where project = $1', [p]);
      expect(names.map((r) => r.test_id)).toEqual(['t::fails']);
      expect((await store.testRuns(p, 't::fails', 10)).map((r) => [r.runId, r.status])).toEqual([['new', 'failed']]);
      // The honest path: a run with no prune in between is recorded and named as before.
      await record(store, { project: p, id: 'later', tests: failing, result: 'BLOCKED' });
      expect((await store.testRuns(p, 't::fails', 10)).map((r) => r.runId)).toEqual(['later', 'new']);
    } finally {
      await db.destroy();
      await store.close();
    }
  });
});

// SQLite has one writer at a time: a prune cannot start while a run's transaction is open. On
// PostgreSQL it can, and it must wait for that transaction instead of judging its names unused.
describe('prune racing a run: postgres, while the run writes its rows', () => {
  const backend = backends[1]!;
  it("a prune that comes while a run's rows are being written waits for them, and keeps their name", async () => {
    const where = backend.fresh();
    const store: Store = await openStore(where);
    const db = rawDb(where);
    const watch = new pg.Client({ connectionString: PG_URL });
    await watch.connect();
    try {
      const p = 'race-in-rows';
      const failing = [test('t::fails', 'failed', { message: 'still broken' })];
      await record(store, { project: p, id: 'old', startedAt: old(120), tests: failing, result: 'BLOCKED' });
      const startedAt = new Date().toISOString();
      await store.beginRun({ id: 'new', project: p, version: '1.0.1', commit: 'c1', branch: 'main', ci: true, host: 'h', configHash: 'cfg', startedAt, selection: null });
      let seen: { waited: boolean; names: Promise<number> } | undefined;
      await finishRun(db, 'new', finishOf({ project: p, id: 'new', startedAt, tests: failing, result: 'BLOCKED' }), {
        inRows: async () => {
          seen = await pruneUntilWaiting(store, watch, where.schema, p);
        },
      });
      // It ran after the run committed: the old rows went, the name stayed (the new rows use it).
      await expectWaitedAndNamed(seen!, store, backend, where, p, 'new');
    } finally {
      await watch.end();
      await db.destroy();
      await store.close();
    }
  });
});

describe('prune racing a history import: postgres', () => {
  const backend = backends[1]!;
  it("a prune that comes while an import writes names and rows waits for it, and keeps the names the import's rows use", async () => {
    const from = backend.fresh();
    const where = backend.fresh();
    const source: Store = await openStore(from);
    const store: Store = await openStore(where);
    const watch = new pg.Client({ connectionString: PG_URL });
    await watch.connect();
    try {
      const p = 'race-import';
      const failing = [test('t::fails', 'failed', { message: 'still broken' })];
      await record(source, { project: p, id: 'imported', tests: failing, result: 'BLOCKED' });
      const records: HistoryRecord[] = [];
      for await (const r of source.exportHistory(p)) records.push(r);
      expect(records.some((r) => r.t === 'test_id')).toBe(true);
      // The store the import goes into has an old run whose rows are the only ones using the name.
      await record(store, { project: p, id: 'old', startedAt: old(120), tests: failing, result: 'BLOCKED' });
      let seen: { waited: boolean; names: Promise<number> } | undefined;
      async function* feed(): AsyncGenerator<{ line: number; record: HistoryRecord }> {
        let line = 0;
        for (const record of records) yield { line: ++line, record };
        // Every record handed over (the name written, the rows not yet): the prune comes now.
        seen = await pruneUntilWaiting(store, watch, where.schema, p);
      }
      await store.importHistory(p, feed());
      await expectWaitedAndNamed(seen!, store, backend, where, p, 'imported');
    } finally {
      await watch.end();
      await source.close();
      await store.close();
    }
  });
});

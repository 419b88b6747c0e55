import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { openStore, type OpenStoreOptions } from '../../src/store/store.js';
import { postgresBackend, sqliteBackend, type Backend } from '../fixtures/store/helpers.js';

const worker = fileURLToPath(new URL('../fixtures/store/record-worker.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
const backends: Backend[] = [sqliteBackend(), postgresBackend()];

afterAll(async () => {
  for (const b of backends) await b.cleanup();
});

function start(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', worker, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
}

function finished(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out, err })));
}

function line(child: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(`${text}\n`)) resolve();
    });
    child.on('close', (code) => reject(new Error(`worker exited (${code}) before "${text}": ${err}`)));
  });
}

async function integrityOk(backend: Backend, where: OpenStoreOptions): Promise<void> {
  if (backend.name !== 'sqlite') return;
  const rows = await backend.raw(where, 'pragma integrity_check');
  expect(rows).toEqual([{ integrity_check: 'ok' }]);
}

describe.each(backends)('store concurrency: $name', (backend) => {
  it('eight processes opening a fresh store and recording at once lose nothing', async () => {
    const where = backend.fresh();
    const workers = 8;
    const runs = 3;
    const tests = 2000;
    const startAt = String(Date.now() + 1500);
    const results = await Promise.all(
      Array.from({ length: workers }, (_, w) => finished(start(['record', JSON.stringify(where), 'crowd', `w${w}`, String(runs), String(tests), startAt]))),
    );
    for (const r of results) expect({ code: r.code, err: r.err, out: r.out }).toEqual({ code: 0, err: '', out: 'ok\n' });

    const store = await openStore(where);
    try {
      const listed = await store.listRuns('crowd', { limit: 1000 });
      expect(listed).toHaveLength(workers * runs);
      expect(listed.every((r) => r.state === 'finished' && r.result === 'READY')).toBe(true);
      expect(new Set(listed.map((r) => r.id)).size).toBe(workers * runs);
    } finally {
      await store.close();
    }
    // Every test of every run is in a log; the failing ones (every 97th) also have a row.
    const [count] = await backend.raw(where, 'select count(*) as n, sum(count) as tests from test_runs');
    expect([Number(count?.n), Number(count?.tests)]).toEqual([workers * runs, workers * runs * tests]);
    const failing = Array.from({ length: tests }, (_, i) => i).filter((i) => i % 97 === 0);
    const [rows] = await backend.raw(where, 'select count(*) as n from test_results');
    expect(Number(rows?.n)).toBe(workers * runs * failing.length);
    // Only failing tests are named. Shared ids were named once, whoever won the race; each
    // worker's own ids once per worker.
    const shared = failing.filter((i) => i % 2 === 0).length;
    const [ids] = await backend.raw(where, 'select count(*) as n, count(distinct test_id) as d from test_ids');
    expect(Number(ids?.n)).toBe(shared + workers * (failing.length - shared));
    expect(Number(ids?.d)).toBe(Number(ids?.n));
    const [migrations] = await backend.raw(where, 'select count(*) as n from shipgate_migrations');
    expect(Number(migrations?.n)).toBe(MIGRATIONS.length);
    await integrityOk(backend, where);
  });

  it('eight processes upgrading an older store at once all succeed, and migrate it once', async () => {
    // An older store: the version table exists and is behind. Every process first reads the
    // version and then writes, which is where deferred SQLite transactions fail with SQLITE_BUSY.
    const where = backend.fresh();
    if (backend.name === 'postgres') await backend.raw({ ...where, schema: 'public' }, `create schema ${where.schema}`);
    else (await import('node:fs')).mkdirSync((await import('node:path')).dirname(where.file as string), { recursive: true });
    await backend.raw(where, 'create table shipgate_migrations (version integer primary key, name text not null, applied_at text not null)');
    const startAt = String(Date.now() + 1500);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, w) => finished(start(['record', JSON.stringify(where), 'upgrade', `u${w}`, '1', '10', startAt]))),
    );
    for (const r of results) expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    const versions = await backend.raw(where, 'select version from shipgate_migrations');
    expect(versions.map((v) => Number(v.version)).sort((a, b) => a - b)).toEqual(MIGRATIONS.map((m) => m.version));
    const [runs] = await backend.raw(where, 'select count(*) as n from runs');
    expect(Number(runs?.n)).toBe(8);
    await integrityOk(backend, where);
  });

  it('a run killed with SIGKILL leaves the store consistent and shows as interrupted', async () => {
    const where = backend.fresh();
    const child = start(['hang', JSON.stringify(where), 'crash', 'doomed']);
    const done = finished(child);
    await line(child, 'begun');
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');

    await integrityOk(backend, where);
    const store = await openStore(where);
    try {
      const [run] = await store.listRuns('crash');
      expect(run).toMatchObject({ id: 'doomed', state: 'interrupted', result: null, endedAt: null });
      expect(await store.lastGood('crash')).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('a run killed while its results are being written is all there or not there at all', async () => {
    const where = backend.fresh();
    const tests = 50_000;
    const child = start(['finish', JSON.stringify(where), 'crash', 'half', String(tests)]);
    const done = finished(child);
    await line(child, 'finishing');
    child.kill('SIGKILL');
    await done;

    await integrityOk(backend, where);
    const store = await openStore(where);
    try {
      const [run] = await store.listRuns('crash');
      const [logged] = await backend.raw(where, 'select count(*) as n, coalesce(sum(count), 0) as tests from test_runs');
      const [rows] = await backend.raw(where, 'select count(*) as n from test_results');
      const [gates] = await backend.raw(where, 'select count(*) as n from gate_results');
      const failing = Math.floor((tests - 1) / 97) + 1;
      // Either the kill came before the commit (nothing of the finish is visible) or after (all of it).
      if (run?.state === 'finished') {
        expect([Number(logged?.n), Number(logged?.tests), Number(rows?.n), Number(gates?.n)]).toEqual([1, tests, failing, 1]);
      } else {
        expect(run?.state).toBe('interrupted');
        expect([Number(logged?.n), Number(logged?.tests), Number(rows?.n), Number(gates?.n)]).toEqual([0, 0, 0, 0]);
      }
      // The store still takes new runs afterwards.
      await store.beginRun({ id: 'after', project: 'crash', version: '1', commit: null, branch: null, ci: false, host: 'h', configHash: 'x', startedAt: new Date().toISOString() });
      expect((await store.listRuns('crash'))[0]?.id).toBe('after');
    } finally {
      await store.close();
    }
  });
});

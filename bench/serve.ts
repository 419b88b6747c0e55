/**
 * Dashboard benchmark, end to end: a store of 200 runs × 10,000 tests (2,000,000 results), the real
 * `shipgate serve` process over it, and per view the time to first byte and to the full response
 * (median of BENCH_REPEATS requests after one warm-up), against the same data read raw on the
 * database (the floor: the view's main query through the driver, no shipgate code) — printing
 * ratios, and the goal (every page under 300 ms, trends under 500 ms).
 *
 *   npm run build && node --import tsx bench/serve.ts
 *   BENCH_RUNS=200 BENCH_TESTS=10000 BENCH_BACKENDS=sqlite,postgres BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/test node --import tsx bench/serve.ts
 *
 * Run by hand. The project folder (SQLite file) and the PostgreSQL schema are removed at the end.
 * Figures from a busy machine swing widely, so the load average is printed with them.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { availableParallelism, hostname, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import type { Decision } from '../src/decide/types.js';
import type { TestResult } from '../src/evidence/model.js';
import { openStore, TestLog, type OpenStoreOptions } from '../src/store/store.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const TESTS = Number(process.env.BENCH_TESTS ?? 10_000);
const REPEATS = Math.max(1, Number(process.env.BENCH_REPEATS ?? 5));
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'sqlite,postgres').split(',');
const CLI = join(import.meta.dirname, '..', 'dist', 'cli', 'main.cjs');
const PROJECT = 'bench';
const FLAKY_ID = (i: number) => `tests/module_${Math.floor(i / 200)}/test_file_${i % 200}.py::test_case_${i}`;

function results(run: number): TestResult[] {
  return Array.from({ length: TESTS }, (_, i): TestResult => {
    const flaky = i % 500 === 0 && (i + run) % 7 === 0;
    const failing = i % 500 === 250 && (i + run) % 11 === 0;
    return {
      id: FLAKY_ID(i),
      suite: `tests/module_${Math.floor(i / 200)}`,
      name: `test_case_${i}`,
      status: failing ? 'failed' : i % 331 === 0 ? 'skipped' : 'passed',
      attempts: flaky ? 2 : 1,
      flaky,
      durationMs: (i * 7) % 900,
      ...(failing ? { message: `AssertionError: expected 200, got 500 (run ${run})` } : {}),
    };
  });
}

function decision(id: string, startedAt: string, blocked: boolean, tests: TestResult[]): Decision {
  const failed = tests.filter((t) => t.status === 'failed').length;
  const skipped = tests.filter((t) => t.status === 'skipped').length;
  return {
    result: blocked ? 'BLOCKED' : 'READY', project: PROJECT, version: '1.0.0', commit: `c${id}`, branch: 'main', ci: true, strict: false,
    runId: id, runDir: '', startedAt, durationMs: 60_000, requirements: [], blockers: blocked ? ['tests: tests failed'] : [], warnings: [],
    gates: [
      { id: 'tests', title: 'tests', status: blocked ? 'fail' : 'pass', severity: 'block', durationMs: 50_000, attempts: 1, checks: [{ check: 'tests.failed == 0', expected: '0', actual: String(failed), ok: !blocked }], failingTests: [], warnings: [],
        counts: { total: tests.length, passed: tests.length - failed - skipped, failed, errors: 0, skipped, flaky: tests.filter((t) => t.flaky).length, quarantined: 0 } },
      { id: 'build', title: 'build', status: 'pass', severity: 'block', durationMs: 9_000, attempts: 1 + (Number(id.split('-')[1]) % 9 === 0 ? 1 : 0), checks: [], failingTests: [], warnings: [] },
    ],
  };
}

async function fill(where: OpenStoreOptions): Promise<string> {
  const store = await openStore(where);
  let last = '';
  try {
    const t0 = Date.now() - RUNS * 3_600_000;
    for (let r = 0; r < RUNS; r++) {
      const id = `run-${r}-${randomBytes(3).toString('hex')}`;
      const startedAt = new Date(t0 + r * 3_600_000).toISOString();
      const tests = results(r);
      const blocked = tests.some((t) => t.status === 'failed') && r % 3 === 0;
      await store.beginRun({ id, project: PROJECT, version: '1.0.0', commit: `c${id}`, branch: 'main', ci: true, host: hostname(), configHash: 'x', startedAt });
      await store.finishRun(id, {
        decision: decision(id, startedAt, blocked, tests),
        endedAt: new Date(Date.parse(startedAt) + 60_000).toISOString(),
        tests: [{ gate: 'tests', log: TestLog.of(PROJECT, tests) }],
        metrics: [{ gate: 'bench', metrics: [{ name: 'metric.parse_ms', value: 100 + (r % 5), unit: 'ms' }, { name: 'coverage.lines', value: 80 + (r % 3), unit: '%' }] }],
      });
      last = id;
      if ((r + 1) % 50 === 0) process.stdout.write(`  filled ${r + 1}/${RUNS} runs\n`);
    }
  } finally {
    await store.close();
  }
  return last;
}

interface Raw {
  query(text: string, params: unknown[]): Promise<unknown[]>;
  close(): Promise<void>;
}

function rawSqlite(file: string): Raw {
  const db = new Sqlite(file, { readonly: true });
  return {
    query: async (t, p) => db.prepare(t.replace(/\$\d+/g, '?')).all(...p),
    close: async () => {
      db.close();
    },
  };
}

async function rawPostgres(schema: string): Promise<Raw> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`set search_path to ${schema}`);
  return { query: async (t, p) => (await c.query(t, p)).rows, close: () => c.end() };
}

const WINDOW50 = `select seq from runs where project = $1 and ended_at is not null order by seq desc limit 50`;

/** Each view: its path and the floor — the data it shows, read raw. */
function views(lastRun: string): { name: string; path: string; goalMs: number; floor: (raw: Raw) => Promise<unknown> }[] {
  const flakyFloor = async (raw: Raw) => {
    await raw.query(`select t.data from test_runs t join (${WINDOW50}) w on w.seq = t.run_seq`, [PROJECT]);
    return raw.query(`select distinct r.test_key from test_results r join (${WINDOW50}) w on w.seq = r.run_seq`, [PROJECT]);
  };
  return [
    { name: 'runs', path: '/', goalMs: 300, floor: (raw) => raw.query('select * from runs where project = $1 order by seq desc limit 50', [PROJECT]) },
    { name: 'run', path: `/runs/${lastRun}`, goalMs: 300, floor: (raw) => raw.query('select decision from runs where project = $1 and id = $2', [PROJECT, lastRun]) },
    {
      name: 'trends (api)',
      path: '/api/trends',
      goalMs: 500,
      floor: async (raw) => {
        await raw.query('select decision from runs where project = $1 and ended_at is not null order by seq desc limit 100', [PROJECT]);
        return raw.query('select m.* from metrics m join (select seq from runs where project = $1 and ended_at is not null order by seq desc limit 100) w on w.seq = m.run_seq', [PROJECT]);
      },
    },
    { name: 'trends (page)', path: '/trends', goalMs: 500, floor: (raw) => raw.query('select decision from runs where project = $1 and ended_at is not null order by seq desc limit 100', [PROJECT]) },
    { name: 'flaky', path: '/flaky', goalMs: 300, floor: flakyFloor },
    { name: 'test', path: `/tests?id=${encodeURIComponent(FLAKY_ID(250))}`, goalMs: 300, floor: flakyFloor },
    { name: 'delivery', path: '/delivery', goalMs: 300, floor: (raw) => raw.query('select id, branch, "commit", started_at, ended_at, result, state, selection, dirty from runs where project = $1 order by seq desc limit 200', [PROJECT]) },
    { name: 'releases', path: '/releases', goalMs: 300, floor: (raw) => raw.query("select * from runs where project = $1 and branch = 'main' and result = 'READY' and state = 'finished' order by seq desc limit 1", [PROJECT]) },
  ];
}

function timeGet(base: string, path: string): Promise<{ ttfb: number; full: number; status: number }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request({ host: u.hostname, port: u.port, path, headers: { accept: 'text/html' } }, (res) => {
      const ttfb = performance.now() - t0;
      res.on('data', () => {});
      res.on('end', () => resolve({ ttfb, full: performance.now() - t0, status: res.statusCode ?? 0 }));
    });
    req.on('error', reject);
    req.end();
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function startServe(dir: string, env: Record<string, string>): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (c) => (err += String(c)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c) => {
      out += String(c);
      const m = /(http:\/\/\S+\/)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`shipgate serve exited ${code}: ${err}`)));
  });
  return { url, stop: () => new Promise((resolve) => (child.once('exit', () => resolve()), child.kill('SIGINT'))) };
}

interface Row {
  backend: string;
  view: string;
  ttfb: number;
  full: number;
  floor: number;
  goal: number;
}

async function bench(backend: string, dir: string, where: OpenStoreOptions, raw: () => Promise<Raw>, env: Record<string, string>): Promise<Row[]> {
  const f0 = performance.now();
  const last = await fill(where);
  process.stdout.write(`  ${backend}: ${RUNS} runs × ${TESTS.toLocaleString('en')} tests recorded in ${((performance.now() - f0) / 1000).toFixed(1)} s\n`);
  const server = await startServe(dir, env);
  const db = await raw();
  const rows: Row[] = [];
  try {
    for (const v of views(last)) {
      const first = await timeGet(server.url, v.path);
      if (first.status !== 200) throw new Error(`${v.path} answered ${first.status}`);
      const ttfb: number[] = [];
      const full: number[] = [];
      const floor: number[] = [];
      for (let k = 0; k < REPEATS; k++) {
        const t = await timeGet(server.url, v.path);
        ttfb.push(t.ttfb);
        full.push(t.full);
        const q0 = performance.now();
        await v.floor(db);
        floor.push(performance.now() - q0);
      }
      rows.push({ backend, view: v.name, ttfb: median(ttfb), full: median(full), floor: median(floor), goal: v.goalMs });
    }
  } finally {
    await db.close();
    await server.stop();
  }
  return rows;
}

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

async function main(): Promise<void> {
  process.stdout.write(`shipgate serve bench: ${RUNS} runs × ${TESTS.toLocaleString('en')} tests = ${(RUNS * TESTS).toLocaleString('en')} results per backend; median of ${REPEATS}\n`);
  const loadBefore = load();
  const rows: Row[] = [];
  const config = `name: ${PROJECT}\ngates:\n  tests:\n    run: "true"\n`;
  if (BACKENDS.includes('sqlite')) {
    const dir = mkdtempSync(join(tmpdir(), 'shipgate-bench-serve-'));
    try {
      writeFileSync(join(dir, 'shipgate.yml'), config);
      const file = join(dir, '.shipgate', 'shipgate.db');
      rows.push(...(await bench('sqlite', dir, { file }, async () => rawSqlite(file), { SHIPGATE_DATABASE_URL: '' })));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (BACKENDS.includes('postgres')) {
    const dir = mkdtempSync(join(tmpdir(), 'shipgate-bench-serve-'));
    const schema = `shipgate_bench_${randomBytes(4).toString('hex')}`;
    try {
      writeFileSync(join(dir, 'shipgate.yml'), config);
      rows.push(...(await bench('postgres', dir, { url: PG_URL, schema }, () => rawPostgres(schema), { SHIPGATE_DATABASE_URL: `${PG_URL}?schema=${schema}` })));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    }
  }
  process.stdout.write(`\nload average (1/5/15 min): ${loadBefore} before, ${load()} after, on ${availableParallelism()} CPUs\n`);
  process.stdout.write('full = the whole response over HTTP from the real `shipgate serve`; floor = the view\'s main query raw on the database; "vs goal" below 1.00× meets it.\n\n');
  const head = ['backend', 'view', 'ttfb', 'full', 'floor', 'full/floor', 'goal', 'full vs goal'];
  const table = rows.map((r) => [r.backend, r.view, `${r.ttfb.toFixed(1)} ms`, `${r.full.toFixed(1)} ms`, `${r.floor.toFixed(1)} ms`, `${(r.full / r.floor).toFixed(1)}×`, `${r.goal} ms`, `${(r.full / r.goal).toFixed(2)}×`]);
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  for (const row of [head, ...table]) process.stdout.write(`${row.map((c, i) => c.padEnd(widths[i]!)).join('  ')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});

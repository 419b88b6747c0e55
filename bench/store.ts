/**
 * History store benchmark: record runs of 100,000 test results each until the store holds
 * 2,000,000, then time the flaky query over the whole store — on SQLite and on PostgreSQL, against
 * the goals (< 1 s to record a run, < 1 s for the flaky query), printing figures and ratios.
 *
 *   node --import tsx bench/store.ts
 *   BENCH_TESTS=100000 BENCH_TOTAL=2000000 BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/test node --import tsx bench/store.ts
 *   BENCH_BACKENDS=sqlite node --import tsx bench/store.ts
 *
 * Run by hand, not in CI. The SQLite file goes to a temp folder and PostgreSQL to a fresh schema;
 * both are removed at the end.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Decision } from '../src/decide/types.js';
import type { TestResult } from '../src/evidence/model.js';
import { openStore, type OpenStoreOptions } from '../src/store/store.js';

const TESTS = Number(process.env.BENCH_TESTS ?? 100_000);
const TOTAL = Number(process.env.BENCH_TOTAL ?? 2_000_000);
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'sqlite,postgres').split(',');
const GOAL_MS = 1000;
const RUNS = Math.ceil(TOTAL / TESTS);

/** A realistic mix: almost all pass; ~0.3% skip; a fixed set of 200 flaky tests that fail or retry now and then. */
function results(run: number): TestResult[] {
  return Array.from({ length: TESTS }, (_, i): TestResult => {
    const flakyOne = i % 500 === 0 && (i + run) % 7 === 0;
    const failing = i % 500 === 250 && (i + run) % 11 === 0;
    return {
      id: `tests/module_${Math.floor(i / 200)}/test_file_${i % 200}.py::TestSuite::test_case_${i}`,
      suite: `tests/module_${Math.floor(i / 200)}`,
      name: `test_case_${i}`,
      status: failing ? 'failed' : i % 331 === 0 ? 'skipped' : 'passed',
      attempts: flakyOne ? 2 : 1,
      flaky: flakyOne,
      durationMs: (i * 7) % 900,
      ...(failing ? { message: `AssertionError: expected 200, got 500 (run ${run})` } : {}),
    };
  });
}

function decision(id: string, startedAt: string): Decision {
  return {
    result: 'READY', project: 'bench', version: '1.0.0', commit: `c${id}`, branch: 'main', ci: true, strict: false,
    runId: id, runDir: '', startedAt, durationMs: 1000, requirements: [], blockers: [], warnings: [],
    gates: [{ id: 'tests', title: 'tests', status: 'pass', severity: 'block', durationMs: 900, attempts: 1, checks: [], failingTests: [], warnings: [] }],
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

interface Figures {
  backend: string;
  recordMedianMs: number;
  recordMaxMs: number;
  flakyMs: number;
  flakyRows: number;
  size?: string;
}

async function bench(name: string, where: OpenStoreOptions): Promise<Figures> {
  const store = await openStore(where);
  const recordMs: number[] = [];
  try {
    for (let r = 0; r < RUNS; r++) {
      const id = `bench-${r}-${randomBytes(3).toString('hex')}`;
      const startedAt = new Date().toISOString();
      const tests = results(r);
      const t0 = performance.now();
      await store.beginRun({ id, project: 'bench', version: '1.0.0', commit: `c${r}`, branch: 'main', ci: true, host: hostname(), configHash: 'x', startedAt });
      await store.finishRun(id, { decision: decision(id, startedAt), endedAt: new Date().toISOString(), tests: [{ gate: 'tests', tests }], metrics: [{ gate: 'tests', metrics: [{ name: 'bench.x.mean', value: r, unit: 'ms' }] }] });
      const ms = performance.now() - t0;
      recordMs.push(ms);
      process.stdout.write(`  ${name}: run ${r + 1}/${RUNS} recorded in ${ms.toFixed(0)} ms (store: ${((r + 1) * TESTS).toLocaleString('en')} test rows)\n`);
    }
    // First call warms caches the way a second `shipgate flaky` would find them; report both.
    const f0 = performance.now();
    const cold = await store.flakyCandidates('bench', RUNS);
    const coldMs = performance.now() - f0;
    const f1 = performance.now();
    const warm = await store.flakyCandidates('bench', RUNS);
    const warmMs = performance.now() - f1;
    process.stdout.write(`  ${name}: flaky query over ${RUNS} runs: ${coldMs.toFixed(0)} ms first, ${warmMs.toFixed(0)} ms again (${warm.length} rows)\n`);
    if (cold.length !== warm.length || warm.length === 0) throw new Error('flaky query returned inconsistent or no rows');
    return { backend: name, recordMedianMs: median(recordMs), recordMaxMs: Math.max(...recordMs), flakyMs: Math.max(coldMs, warmMs), flakyRows: warm.length };
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  process.stdout.write(`shipgate store bench: ${RUNS} runs × ${TESTS.toLocaleString('en')} test results = ${(RUNS * TESTS).toLocaleString('en')} rows per backend\n`);
  const figures: Figures[] = [];
  if (BACKENDS.includes('sqlite')) {
    const dir = mkdtempSync(join(tmpdir(), 'shipgate-bench-'));
    try {
      const file = join(dir, 'shipgate.db');
      const f = await bench('sqlite', { file });
      f.size = `${(statSync(file).size / 1e6).toFixed(0)} MB`;
      figures.push(f);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (BACKENDS.includes('postgres')) {
    const schema = `shipgate_bench_${randomBytes(4).toString('hex')}`;
    try {
      figures.push(await bench('postgres', { url: PG_URL, schema }));
    } finally {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    }
  }
  process.stdout.write('\nbackend    record run (median / max)   vs goal   flaky query   vs goal   rows\n');
  for (const f of figures) {
    process.stdout.write(
      `${f.backend.padEnd(10)} ${`${f.recordMedianMs.toFixed(0)} / ${f.recordMaxMs.toFixed(0)} ms`.padEnd(27)} ${(f.recordMedianMs / GOAL_MS).toFixed(2).padStart(5)}×   ${`${f.flakyMs.toFixed(0)} ms`.padEnd(13)} ${(f.flakyMs / GOAL_MS).toFixed(2).padStart(5)}×   ${f.flakyRows}${f.size ? `  (file ${f.size})` : ''}\n`,
    );
  }
  const [a, b] = figures;
  if (a && b) {
    process.stdout.write(`\n${b.backend}/${a.backend}: record ${(b.recordMedianMs / a.recordMedianMs).toFixed(2)}×, flaky query ${(b.flakyMs / a.flakyMs).toFixed(2)}×\n`);
  }
  process.stdout.write('(goal: < 1 s each; a ratio below 1.00× meets it)\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});

/**
 * Judging a huge suite end to end: the whole `node dist/cli/main.cjs run` process on a gate whose
 * JUnit report holds 100k, 500k and 1M cases (2 % failures), against fast-xml-parser's parse
 * alone of the same file, in the same run.
 *
 *   npm run build && node --import tsx bench/huge-suite.ts                  # 100k, 500k, 1M; 3 rounds
 *   node --import tsx bench/huge-suite.ts 200000 --rounds 5                  # custom sizes / rounds
 *   BENCH_MODES=none,sqlite node --import tsx bench/huge-suite.ts            # leave PostgreSQL out
 *   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/test node --import tsx bench/huge-suite.ts
 *
 * Goal at 1M: wall ≤ 1.0× fast-xml-parser's parse, peak RSS ≤ 400 MB, growing by at most 150 bytes
 * per test.
 *
 * How it measures:
 * - one report per size (the generator of bench/junit-parse.ts), one project folder per size: a git
 *   repository (so runs have a commit and the newly-flaky lookup runs as it does in CI) whose one
 *   gate touches the report (so it is fresh) and reads it;
 * - `shipgate (no history)` is `run --no-history`; `shipgate sqlite` uses the project's own store
 *   file and `shipgate postgres` a fresh schema (`SHIPGATE_DATABASE_URL=…?schema=…`). Each store
 *   gets one unmeasured run first, so every measured run finds the project already there (and its
 *   history growing, as it does in real use);
 * - the whole process is timed from spawn to exit; its peak RSS is the child's maximum resident
 *   set as /usr/bin/time reports it (%M; after exec, so not inherited from this process);
 * - fast-xml-parser runs in its own child (plain node, module loaded before the clock starts, as in
 *   bench/junit-parse.ts): the reference is its parse time, and its own peak RSS is shown too;
 * - modes alternate within each round, so load from other processes hits all alike; figures are
 *   medians over rounds, and the ratio is taken per round, then the median;
 * - bytes per test is the slope of peak RSS between the smallest and the largest size.
 * The load average is printed with the figures: the machine may be shared.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { generateJunit } from './junit-report.js';

type Mode = 'fxp' | 'none' | 'sqlite' | 'postgres';
const LABEL: Record<Mode, string> = {
  fxp: 'fast-xml-parser parse',
  none: 'shipgate (no history)',
  sqlite: 'shipgate sqlite',
  postgres: 'shipgate postgres',
};

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist/cli/main.cjs');
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const exec = promisify(execFile);

interface Sample {
  /** Wall time of the whole process (shipgate), or of the parse alone (fast-xml-parser). */
  ms: number;
  rssMB: number;
  /** fast-xml-parser only: the child process from spawn to exit. */
  processMs?: number;
}

const FXP_CHILD = `
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
const { XMLParser } = createRequire(${JSON.stringify(join(root, 'package.json'))})('fast-xml-parser');
const file = process.argv[2];
const t0 = performance.now();
const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_' }).parse(await readFile(file, 'utf8'));
let tests = 0;
for (const s of doc.testsuites.testsuite) tests += s.testcase.length;
const ms = performance.now() - t0;
const hwm = /VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
process.stdout.write(JSON.stringify({ ms, rssMB: Number(hwm[1]) / 1024, tests }));
`;

/** Run `cmd args` under /usr/bin/time; wall time from spawn to exit, peak RSS from %M. */
function timed(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ ms: number; rssMB: number; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn('/usr/bin/time', ['-f', '\n@@RSS %M', cmd, ...args], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < 1 << 20) stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.length > 1 << 20) stderr = stderr.slice(-(1 << 16));
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      const m = /@@RSS (\d+)\s*$/.exec(stderr);
      if (!m) return reject(new Error(`no RSS figure from /usr/bin/time (exit ${code}):\n${stderr.slice(-2000)}`));
      // /usr/bin/time exits with the command's code (1 when the command exits 1).
      resolvePromise({ ms, rssMB: Number(m[1]) / 1024, code, stdout, stderr: stderr.slice(0, m.index) });
    });
  });
}

interface Project {
  dir: string;
  report: string;
  schema: string;
}

async function makeProject(base: string, n: number): Promise<Project> {
  const dir = join(base, `p${n}`);
  await mkdir(join(dir, 'reports'), { recursive: true });
  await writeFile(
    join(dir, 'shipgate.yml'),
    `name: huge-suite-${n}\ngates:\n  tests:\n    run: touch reports/junit.xml\n    reports: [reports/junit.xml]\n`,
  );
  await writeFile(join(dir, '.gitignore'), '.shipgate/\nreports/\n');
  const git = (...args: string[]) =>
    exec('git', args, { cwd: dir, env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@x', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@x', GIT_CONFIG_NOSYSTEM: '1' } });
  await git('init', '-q', '-b', 'main');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'bench');
  const report = join(dir, 'reports/junit.xml');
  await generateJunit(report, n);
  return { dir, report, schema: `shipgate_bench_${randomBytes(4).toString('hex')}` };
}

function envFor(mode: Mode, p: Project): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: undefined, SHIPGATE_DATABASE_URL: undefined, NO_COLOR: '1' };
  delete env.CI;
  delete env.SHIPGATE_DATABASE_URL;
  if (mode === 'postgres') env.SHIPGATE_DATABASE_URL = `${PG_URL}?schema=${p.schema}`;
  return env;
}

async function shipgate(mode: Exclude<Mode, 'fxp'>, p: Project, n: number, check: boolean): Promise<Sample> {
  const args = [cli, 'run', '1.0.0', ...(mode === 'none' ? ['--no-history'] : [])];
  const r = await timed(process.execPath, args, { cwd: p.dir, env: envFor(mode, p) });
  // 2 % failures: the release is blocked (exit 1). Anything else is a broken bench.
  if (r.code !== 1) throw new Error(`shipgate ${mode} exited ${r.code}:\n${r.stderr.slice(-3000)}`);
  if (check) await checkDecision(p, n);
  return { ms: r.ms, rssMB: r.rssMB };
}

/** The newest decision counts every test: the bench measured a run that read the whole file. */
async function checkDecision(p: Project, n: number): Promise<void> {
  const runs = join(p.dir, '.shipgate/runs');
  const newest = (await readdir(runs)).sort().at(-1)!;
  const d = JSON.parse(await readFile(join(runs, newest, 'decision.json'), 'utf8')) as {
    decision?: { gates: { counts?: { total: number; failed: number }; failingTests: unknown[] }[] };
    gates?: { counts?: { total: number; failed: number }; failingTests: unknown[] }[];
  };
  const gates = d.gates ?? d.decision?.gates ?? [];
  const c = gates[0]?.counts;
  const failing = Math.floor((n - 7 + 49) / 50);
  if (c?.total !== n || c.failed !== failing || gates[0]?.failingTests.length !== failing) {
    throw new Error(`decision of ${newest} counts ${JSON.stringify(c)} and ${gates[0]?.failingTests.length} failing tests; expected ${n} tests, ${failing} failed`);
  }
}

async function fxp(childFile: string, p: Project, n: number): Promise<Sample> {
  const t0 = performance.now();
  const { stdout } = await exec(process.execPath, [childFile, p.report], { maxBuffer: 1 << 20 });
  const processMs = performance.now() - t0;
  const r = JSON.parse(stdout) as { ms: number; rssMB: number; tests: number };
  if (r.tests !== n) throw new Error(`fast-xml-parser counted ${r.tests} tests, expected ${n}`);
  return { ms: r.ms, rssMB: r.rssMB, processMs };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

async function dropSchemas(schemas: string[]): Promise<void> {
  if (schemas.length === 0) return;
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    for (const s of schemas) await c.query(`drop schema if exists ${s} cascade`);
  } finally {
    await c.end();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--rounds');
  const rounds = at === -1 ? 3 : Number(args.splice(at, 2)[1]);
  const sizes = (args.length > 0 ? args.map(Number) : [100_000, 500_000, 1_000_000]).sort((a, b) => a - b);
  const modes = (process.env.BENCH_MODES ?? 'none,sqlite,postgres').split(',').filter((m): m is Exclude<Mode, 'fxp'> => m === 'none' || m === 'sqlite' || m === 'postgres');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
  if (!existsSync('/usr/bin/time')) throw new Error('/usr/bin/time is needed to read the peak RSS of the shipgate process');

  const base = await mkdtemp(join(tmpdir(), 'shipgate-huge-'));
  const childFile = join(base, 'fxp-child.mjs');
  await writeFile(childFile, FXP_CHILD);
  const schemas: string[] = [];
  const loadBefore = load();
  const all: { n: number; mb: number; by: Record<Mode, Sample[]> }[] = [];
  try {
    console.log(`node ${process.version}, ${availableParallelism()} CPUs; ${rounds} rounds per size, modes alternating; medians`);
    for (const n of sizes) {
      const p = await makeProject(base, n);
      if (modes.includes('postgres')) schemas.push(p.schema);
      const mb = (await stat(p.report)).size / 1e6;
      // The store already has the project when the measured runs start.
      for (const m of modes) if (m !== 'none') await shipgate(m, p, n, false);
      const by: Record<Mode, Sample[]> = { fxp: [], none: [], sqlite: [], postgres: [] };
      for (let r = 0; r < rounds; r++) {
        by.fxp.push(await fxp(childFile, p, n));
        for (const m of modes) by[m].push(await shipgate(m, p, n, r === 0));
        process.stdout.write(`  ${n.toLocaleString('en')} round ${r + 1}/${rounds} done (load ${load()})\n`);
      }
      all.push({ n, mb, by });
    }
    const loadAfter = load();
    console.log(`\nload average (1/5/15 min): ${loadBefore} before, ${loadAfter} after\n`);
    console.log('tests       file     what                      wall ms   ÷ fxp parse   peak RSS MB   ÷ fxp RSS');
    for (const { n, mb, by } of all) {
      const f = by.fxp;
      const fxpMs = median(f.map((s) => s.ms));
      const fxpRss = median(f.map((s) => s.rssMB));
      const row = (what: string, ms: number, ratio: string, rss: number, rssRatio: string) =>
        console.log(`${n.toLocaleString('en').padEnd(11)} ${`${mb.toFixed(0)} MB`.padEnd(8)} ${what.padEnd(24)} ${ms.toFixed(0).padStart(8)}   ${ratio.padStart(11)}   ${rss.toFixed(0).padStart(11)}   ${rssRatio.padStart(9)}`);
      row(LABEL.fxp, fxpMs, '1.00×', fxpRss, '1.00×');
      row('  (its whole process)', median(f.map((s) => s.processMs!)), '', fxpRss, '');
      for (const m of modes) {
        const s = by[m];
        const ratio = median(s.map((x, k) => x.ms / f[k]!.ms));
        const rssRatio = median(s.map((x, k) => x.rssMB / f[k]!.rssMB));
        row(LABEL[m], median(s.map((x) => x.ms)), `${ratio.toFixed(2)}×`, median(s.map((x) => x.rssMB)), `${rssRatio.toFixed(2)}×`);
      }
    }
    if (all.length >= 2) {
      const lo = all[0]!;
      const hi = all[all.length - 1]!;
      console.log(`\nbytes per test (peak RSS slope ${lo.n.toLocaleString('en')} → ${hi.n.toLocaleString('en')}):`);
      for (const m of ['fxp', ...modes] as Mode[]) {
        const slope = ((median(hi.by[m].map((s) => s.rssMB)) - median(lo.by[m].map((s) => s.rssMB))) * 1024 * 1024) / (hi.n - lo.n);
        console.log(`  ${LABEL[m].padEnd(24)} ${slope.toFixed(0).padStart(6)} B/test`);
      }
    }
    const top = all[all.length - 1];
    if (top) {
      const fxpMs = median(top.by.fxp.map((s) => s.ms));
      console.log(`\ngoal at ${top.n.toLocaleString('en')}: wall ≤ 1.00× fast-xml-parser's parse (${fxpMs.toFixed(0)} ms), peak RSS ≤ 400 MB, ≤ 150 B/test`);
      for (const m of modes) {
        const s = top.by[m];
        const ratio = median(s.map((x, k) => x.ms / top.by.fxp[k]!.ms));
        const rss = median(s.map((x) => x.rssMB));
        console.log(`  ${LABEL[m].padEnd(24)} ${ratio.toFixed(2)}× ${ratio <= 1 ? 'meets' : 'misses'}; ${rss.toFixed(0)} MB ${rss <= 400 ? 'meets' : 'misses'}`);
      }
    }
  } finally {
    await dropSchemas(schemas).catch((e: unknown) => console.error(`could not drop the bench schemas: ${String(e)}`));
    if (process.env.KEEP) console.log(`kept ${base}`);
    else await rm(base, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});

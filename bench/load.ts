/**
 * The load check against its peers: shipgate's `load:` (the whole `shipgate run` process, end to
 * end) against autocannon's own CLI and `wrk` (Debian), on the same local server, in the same run,
 * alternating the three every round so load on the machine hits all alike. Same closed model for
 * all: CONNECTIONS connections for SECONDS seconds.
 *
 *   npm run build && node --import tsx bench/load.ts [--runs N] [--seconds S] [--connections C]
 *
 * Prints, per tool, the medians of achieved requests/s, p99 latency and CPU per 1,000 requests
 * (user + system of the whole process and its children: shipgate's start-up, config and decision
 * are part of its cost), then shipgate's rate ÷ each peer's and its p99 − each peer's.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measure } from './measure.js';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.cjs');
const AUTOCANNON = join(ROOT, 'node_modules', 'autocannon', 'autocannon.js');
const SERVER = join(ROOT, 'test', 'fixtures', 'load', 'server.mjs');
const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg('--runs', 3);
const SECONDS = arg('--seconds', 5);
const CONNECTIONS = arg('--connections', 10);

interface Result {
  rps: number;
  p99Ms: number;
  requests: number;
  cpuMs: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function startServer(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, [SERVER], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      const m = /listening (\d+)/.exec(c);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}/`, stop: () => child.kill('SIGKILL') };
}

const dir = mkdtempSync(join(tmpdir(), 'shipgate-bench-load-'));
const out = join(dir, 'out.txt');

function shipgate(url: string): Result {
  writeFileSync(
    join(dir, 'shipgate.yml'),
    `gates:\n  perf:\n    external: true\n    load: { url: "${url}", connections: ${CONNECTIONS}, duration: ${SECONDS}s, inconclusive: pass }\n    expect: ["metric.load.requests.total > 0"]\n`,
  );
  const s = measure(dir, [process.execPath, CLI, 'run', '1.0.0', '--no-history', '--json'], { stdoutFile: out, allowFail: true, env: { CI: '' } });
  const decision = JSON.parse(readFileSync(out, 'utf8')) as { runDir: string };
  const kept = JSON.parse(readFileSync(join(decision.runDir, 'gate-perf.load.json'), 'utf8')) as { records: { data: { measured: { responses: number; durationMs: number; latency: { p99: number } } } }[] };
  const m = kept.records[0]!.data.measured;
  return { rps: m.responses / (m.durationMs / 1000), p99Ms: m.latency.p99, requests: m.responses, cpuMs: s.cpuMs };
}

function autocannon(url: string): Result {
  const s = measure(dir, [process.execPath, AUTOCANNON, '-c', String(CONNECTIONS), '-d', String(SECONDS), '--json', url], { stdoutFile: out });
  const r = JSON.parse(readFileSync(out, 'utf8')) as { requests: { total: number; average: number }; latency: { p99: number }; duration: number };
  return { rps: r.requests.total / r.duration, p99Ms: r.latency.p99, requests: r.requests.total, cpuMs: s.cpuMs };
}

/** wrk's own text: "Requests/sec: 1234.5", "99%    1.23ms", "N requests in 5.00s". */
function wrk(url: string): Result {
  const s = measure(dir, ['wrk', '-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', url], { stdoutFile: out });
  const text = readFileSync(out, 'utf8');
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)![1]);
  const requests = Number(/(\d+) requests in/.exec(text)![1]);
  const [, v, unit] = /99%\s+([\d.]+)(us|ms|s)/.exec(text)!;
  const p99Ms = Number(v) * (unit === 'us' ? 0.001 : unit === 's' ? 1000 : 1);
  return { rps, p99Ms, requests, cpuMs: s.cpuMs };
}

if (spawnSync('wrk', ['--version']).error) throw new Error('wrk is not installed: apt-get install wrk');
const server = await startServer();
const tools: [string, (url: string) => Result][] = [
  ['shipgate', shipgate],
  ['autocannon CLI', autocannon],
  ['wrk', wrk],
];
const results = new Map<string, Result[]>(tools.map(([n]) => [n, []]));
try {
  for (let round = 0; round < RUNS; round++) {
    // Rotate who goes first, so warm caches and machine load do not favour one tool.
    for (let i = 0; i < tools.length; i++) {
      const [name, fn] = tools[(round + i) % tools.length]!;
      results.get(name)!.push(fn(server.url));
    }
  }
} finally {
  server.stop();
  rmSync(dir, { recursive: true, force: true });
}

const summary = new Map(
  [...results].map(([name, rs]) => [
    name,
    { rps: median(rs.map((r) => r.rps)), p99: median(rs.map((r) => r.p99Ms)), cpuPer1k: median(rs.map((r) => r.cpuMs / (r.requests / 1000))) },
  ]),
);
console.log(`load: ${CONNECTIONS} connections, ${SECONDS} s, ${RUNS} rounds, medians (node ${process.version})`);
console.log('tool              req/s      p99 ms   CPU ms per 1,000 req');
for (const [name, s] of summary) console.log(`${name.padEnd(16)}${s.rps.toFixed(0).padStart(8)}${s.p99.toFixed(2).padStart(11)}${s.cpuPer1k.toFixed(1).padStart(12)}`);
const sg = summary.get('shipgate')!;
for (const peer of ['autocannon CLI', 'wrk']) {
  const p = summary.get(peer)!;
  console.log(`shipgate ÷ ${peer}: rate ${(sg.rps / p.rps).toFixed(2)}×, p99 ${sg.p99 - p.p99 >= 0 ? '+' : ''}${(sg.p99 - p.p99).toFixed(2)} ms, CPU per request ${(sg.cpuPer1k / p.cpuPer1k).toFixed(2)}×`);
}

/**
 * What containment costs: shipgate against GNU make -j8 on the same gate graphs, in the same run,
 * alternating the two so that load on the machine hits both alike. Measures whole processes end to
 * end (`node dist/cli/main.cjs run …` against `make -j8`): wall time, and CPU time (everything the
 * process caused, read from a cgroup of its own where the machine allows: bench/measure.ts).
 *
 *   npm run build && node --import tsx bench/containment.ts [--runs N] [--baseline DIR] [--wide]
 *
 * Goals: 40 layered `sleep` gates ≤ 1.1× make's wall time; 200 `true` gates ≤ 5×. To tell
 * containment from the rest, it also prints the fixed cost (a one-gate run against a one-target
 * make), the cost per extra gate, the same graph under the marker fallback, and the floor Node itself
 * sets: a bare `node` spawning the same 200 shells 8 at a time. Then `validate`, `plan` and `history`
 * ÷ `node -e 0` (goal ≤ 2; lazy store drivers, another change), and the watchdog's own CPU per run
 * (included above only where CPU is read from a cgroup: it runs detached, after shipgate exits).
 * `--baseline DIR` adds another build of shipgate (DIR/dist/cli/main.cjs, or main.js for builds
 * before it; e.g. the commit before this work) to every alternation.
 * The graph runs use --no-history: opening and writing the store is not what is measured here (one
 * run with history is printed for reference).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CLI, criticalPath, graphYaml, makeGraph, median, type G } from './graph.js';
import { CPU_BY_CGROUP, measure, type Sample } from './measure.js';

const WATCHDOG = join(import.meta.dirname, '..', 'dist', 'run', 'watchdog.js');
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const RUNS = Number(arg('--runs') ?? 5);
const baselineBin = (dir: string): string => {
  const cjs = join(resolve(dir), 'dist', 'cli', 'main.cjs');
  return existsSync(cjs) ? cjs : join(resolve(dir), 'dist', 'cli', 'main.js');
};
const BASELINE = arg('--baseline') && baselineBin(arg('--baseline')!);

function makefile(gates: G[], command: (g: G) => string): string {
  const ids = gates.map((g) => g.id);
  const rules = gates.map((g) => `${g.id}:${g.needs.map((n) => ` ${n}`).join('')}\n\t@${command(g)}\n`);
  return [`.PHONY: all ${ids.join(' ')}`, `all: ${ids.join(' ')}`, ...rules].join('\n');
}

interface Contender {
  name: string;
  argv: string[];
  env?: Record<string, string>;
}

/** Medians of each contender over `rounds` rounds, after one warm-up each; the order rotates every round. */
function compete(dir: string, contenders: Contender[], rounds = RUNS): Map<string, { wall: number; cpu: number }> {
  const samples = new Map<string, Sample[]>(contenders.map((c) => [c.name, []]));
  for (const c of contenders) measure(dir, c.argv, { env: c.env });
  for (let i = 0; i < rounds; i++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(i + k) % contenders.length]!;
      samples.get(c.name)!.push(measure(dir, c.argv, { env: c.env }));
    }
  }
  const out = new Map<string, { wall: number; cpu: number }>();
  for (const [name, s] of samples) out.set(name, { wall: median(s.map((x) => x.wallMs)), cpu: median(s.map((x) => x.cpuMs)) });
  return out;
}

function project(gates: G[], command: (g: G) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-contain-'));
  writeFileSync(join(dir, 'shipgate.yml'), graphYaml(gates, command));
  writeFileSync(join(dir, 'Makefile'), makefile(gates, command));
  return dir;
}

const sgRun = (cli: string): string[] => [process.execPath, cli, 'run', '1.0.0', '--no-history', '--local', '--concurrency', '8'];
const MAKE = ['make', '-s', '-j8'];

function contenders(marker: boolean): Contender[] {
  const list: Contender[] = [
    { name: 'shipgate', argv: sgRun(CLI) },
    { name: 'make -j8', argv: MAKE },
  ];
  if (marker) list.push({ name: 'shipgate (marker)', argv: sgRun(CLI), env: { SHIPGATE_CONTAINMENT: 'marker' } });
  if (BASELINE) list.push({ name: 'baseline', argv: sgRun(BASELINE) });
  return list;
}

const ms = (x: number): string => `${x.toFixed(0)} ms`;

function report(title: string, gates: number, r: Map<string, { wall: number; cpu: number }>, goal?: number, rounds = RUNS): void {
  const mk = r.get('make -j8')!;
  console.log(`${title} (${rounds} runs each, medians)`);
  for (const [name, v] of r) {
    if (name === 'make -j8') continue;
    const ratio = v.wall / mk.wall;
    const verdict = name === 'shipgate' && goal !== undefined ? ` (goal ≤ ${goal}: ${ratio <= goal ? 'met' : 'NOT met'})` : '';
    const cpuRatio = mk.cpu > 0 ? `${(v.cpu / mk.cpu).toFixed(1)}× make` : 'make ~0';
    console.log(`  ${name.padEnd(18)} wall ${ms(v.wall).padStart(8)} → ${ratio.toFixed(2)}× make${verdict}; cpu ${ms(v.cpu).padStart(8)} → ${cpuRatio}, ${(v.cpu / gates).toFixed(1)} ms per gate`);
  }
  console.log(`  ${'make -j8'.padEnd(18)} wall ${ms(mk.wall).padStart(8)}; cpu ${ms(mk.cpu).padStart(8)}`);
}

console.log(
  CPU_BY_CGROUP
    ? 'cpu: everything each run caused (a cgroup per run): spawner, gates and watchdog included'
    : "cpu: the process and the children it waited for (no cgroup here): shipgate's spawner, its gates and the watchdog are missing",
);

// 1. The fixed cost: one gate, one target.
const one = project([{ id: 'only', sleep: 0, needs: [] }], () => 'true');
const fixed = compete(one, contenders(false));
report('fixed cost: 1 `true` gate', 1, fixed);
rmSync(one, { recursive: true, force: true });

// 2. 40 layered sleep gates (bench/graph.ts's graph).
const sleepGraph = makeGraph(8, 5);
const sleepDir = project(sleepGraph, (g) => `sleep ${g.sleep}`);
report(`40 layered sleep gates, critical path ${criticalPath(sleepGraph).toFixed(2)} s`, 40, compete(sleepDir, contenders(true)), 1.1);
const withHistory = measure(sleepDir, sgRun(CLI).filter((a) => a !== '--no-history'));
console.log(`  (one run with history, for reference: wall ${ms(withHistory.wallMs)}, cpu ${ms(withHistory.cpuMs)})`);

// 3. 200 layered `true` gates: here everything but the work itself is overhead.
const trueGraph = makeGraph(8, 25);
const trueDir = project(trueGraph, () => 'true');
const many = compete(trueDir, contenders(true));
report('200 layered `true` gates (8 layers of 25)', 200, many, 5);
const per = (name: string): string => {
  const a = many.get(name)!;
  const b = fixed.get(name)!;
  return `${((a.wall - b.wall) / 199).toFixed(2)} ms wall, ${((a.cpu - b.cpu) / 199).toFixed(2)} ms cpu`;
};
console.log(`  per extra gate: shipgate ${per('shipgate')}; make ${per('make -j8')}`);

// The floor Node sets: spawning the same 200 shells, 8 at a time, from a bare node process.
const floorScript = `
const { spawn } = require('node:child_process');
const one = () => new Promise((r) => { const c = spawn('/bin/sh', ['-c', 'true'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] }); c.stdout.resume(); c.stderr.resume(); c.on('close', r); });
(async () => { for (let i = 0; i < 25; i++) await Promise.all(Array.from({ length: 8 }, one)); })();`;
const floor = compete(trueDir, [
  { name: 'node spawning 200', argv: [process.execPath, '-e', floorScript] },
  { name: 'make -j8', argv: MAKE },
]);
const f = floor.get('node spawning 200')!;
console.log(`  floor: a bare node spawning the 200 shells takes wall ${ms(f.wall)} (${(f.wall / floor.get('make -j8')!.wall).toFixed(2)}× make), cpu ${ms(f.cpu)}`);

// 4. Commands that start no process: no containment, no watchdog. Alternating with node -e 0.
{
  const cmds = ['validate', 'plan', 'history'];
  const startup = compete(sleepDir, [
    { name: 'node -e 0', argv: [process.execPath, '-e', '0'] },
    ...cmds.map((cmd) => ({ name: cmd, argv: [process.execPath, CLI, cmd, '-c', join(sleepDir, 'shipgate.yml')] })),
  ], 11);
  const node = startup.get('node -e 0')!.wall;
  for (const cmd of cmds) {
    const t = startup.get(cmd)!.wall;
    console.log(`${cmd}: ${ms(t)}, node -e 0 ${ms(node)} → ${(t / node).toFixed(2)}× (goal ≤ 2)`);
  }
}

// 5. The watchdog on its own: started with its pipe already closed, it sweeps once and exits.
const wd: number[] = [];
for (let i = 0; i < 5; i++) wd.push(measure(tmpdir(), [process.execPath, WATCHDOG, '--token', '0.1.0.00']).cpuMs);
console.log(`watchdog: ${ms(median(wd))} CPU per shipgate run (once, detached, off the critical path; node -e 0 alone is most of it)`);

// 6. With --wide: 2,000 `true` gates (40 layers of 50), where what a run does per gate beyond the
// spawn shows (the scheduler once rescanned every pending gate after each end). Two runs each.
if (process.argv.includes('--wide')) {
  const wideDir = project(makeGraph(40, 50), () => 'true');
  report('2,000 layered `true` gates (40 layers of 50)', 2000, compete(wideDir, contenders(false), 2), undefined, 2);
  rmSync(wideDir, { recursive: true, force: true });
}

rmSync(sleepDir, { recursive: true, force: true });
rmSync(trueDir, { recursive: true, force: true });

/**
 * Scheduler overhead: a generated graph of 40 `sleep` gates with a known critical path, run by the
 * real CLI at --concurrency 8. Prints wall time ÷ critical path (goal ≤ 1.05), and the start-up cost
 * of `shipgate --version` ÷ `node -e 0` (goal ≤ 2). Run: `npm run build && node --import tsx bench/graph.ts`.
 * The graph generator is shared with bench/containment.ts, which runs the same graphs under GNU make.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CLI = join(import.meta.dirname, '..', 'dist', 'cli', 'main.cjs');

/** Deterministic pseudo-random numbers, so every run benchmarks the same graph. */
function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

export interface G {
  id: string;
  /** Seconds the gate's `sleep` takes. */
  sleep: number;
  needs: string[];
}

/** A layered graph: each gate needs a random subset (at least one) of the layer before it. */
export function makeGraph(layers = 8, width = 5, seed = 42): G[] {
  const rand = rng(seed);
  const gates: G[] = [];
  for (let l = 0; l < layers; l++) {
    const prev = gates.filter((g) => g.id.startsWith(`l${l - 1}-`));
    for (let w = 0; w < width; w++) {
      const needs = prev.filter(() => rand() < 0.4).map((g) => g.id);
      if (l > 0 && needs.length === 0) needs.push(prev[Math.floor(rand() * prev.length)]!.id);
      gates.push({ id: `l${l}-g${w}`, sleep: Math.round((0.4 + rand() * 0.8) * 100) / 100, needs });
    }
  }
  return gates;
}

export function criticalPath(gates: G[]): number {
  const finish = new Map<string, number>();
  for (const g of gates) finish.set(g.id, Math.max(0, ...g.needs.map((n) => finish.get(n)!)) + g.sleep);
  return Math.max(...finish.values());
}

/** shipgate.yml for the graph; `command` turns a gate into its shell command. */
export function graphYaml(gates: G[], command: (g: G) => string = (g) => `sleep ${g.sleep}`): string {
  const lines = gates.map((g) => `  ${g.id}: { run: ${JSON.stringify(command(g))}, needs: [${g.needs.join(', ')}] }`);
  return ['name: bench-graph', 'gates:', ...lines].join('\n') + '\n';
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function timeIt(cmd: string, args: string[], runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    spawnSync(cmd, args, { stdio: 'ignore' });
    times.push(performance.now() - t0);
  }
  return median(times);
}

function main(): void {
  const gates = makeGraph();
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-graph-'));
  writeFileSync(join(dir, 'shipgate.yml'), graphYaml(gates));
  const cp = criticalPath(gates);

  const t0 = performance.now();
  const out = execFileSync(process.execPath, [CLI, 'run', '1.0.0', '--no-history', '--local', '--concurrency', '8', '--json'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] });
  const wall = (performance.now() - t0) / 1000;
  const decision = JSON.parse(out.toString()) as { result: string; durationMs: number };
  if (decision.result !== 'READY') throw new Error(`bench graph did not pass: ${decision.result}`);
  const runSec = decision.durationMs / 1000;
  rmSync(dir, { recursive: true, force: true });

  console.log(`graph: ${gates.length} gates, 8 layers, critical path ${cp.toFixed(2)} s, concurrency 8`);
  console.log(`  run time (decision.durationMs) ${runSec.toFixed(2)} s → ratio ${(runSec / cp).toFixed(3)} (goal ≤ 1.05)`);
  console.log(`  process wall time             ${wall.toFixed(2)} s → ratio ${(wall / cp).toFixed(3)} (includes node start-up and config load)`);

  const sg = timeIt(process.execPath, [CLI, '--version'], 21);
  const node = timeIt(process.execPath, ['-e', '0'], 21);
  console.log(`start-up: shipgate --version ${sg.toFixed(1)} ms, node -e 0 ${node.toFixed(1)} ms → ratio ${(sg / node).toFixed(2)} (goal ≤ 2)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();

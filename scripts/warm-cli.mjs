/**
 * A build step (scripts/bundle.mjs): the CLI bundle runs the commands most others begin with, in
 * one process, and writes the bundle's code cache when it exits, so the cache holds what they
 * compiled: `plan` of the demo (configuration, every check kind, planning) and `history` of a
 * project with one recorded run (the SQLite store, its queries, the listing).
 *
 * It runs in an environment of its own. The builder's may be a CI job (a job summary, step
 * outputs, annotations a run would write to) or name a shared store (SHIPGATE_DATABASE_URL), and a
 * warm-up is nobody's run: only PATH and TMPDIR are kept.
 * Without a working SQLite addon (`npm ci --ignore-scripts`, a package manager that skips install
 * scripts) the build still succeeds: the warm-up is then `plan` alone.
 */
import { execFileSync } from 'node:child_process';
import process from 'node:process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, URL } from 'node:url';
import { startBundle } from '../dist/cli/load-bundle.js';

const KEEP = new Set(['PATH', 'TMPDIR']);
for (const name of Object.keys(process.env)) if (!KEEP.has(name)) delete process.env[name];

const bundle = fileURLToPath(new URL('../dist/cli/shipgate.cjs', import.meta.url));
const demo = fileURLToPath(new URL('../examples/demo/shipgate.yml', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'shipgate-warm-up-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
process.env.HOME = dir;
const config = join(dir, 'shipgate.yml');
writeFileSync(config, 'name: warm-up\ngates:\n  build: { run: "true" }\n');

const commands = [['plan', '-c', demo]];
try {
  // The recorded run comes from another process: what a run compiles is not what most commands need.
  execFileSync(process.execPath, [bundle, 'run', '0.0.0', '--local', '-c', config], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: process.env });
  commands.push(['history', '-c', config]);
} catch (e) {
  const why = String(e.stderr ?? e.message).trim().split('\n')[0];
  process.stderr.write(`warm-up without history (${why})\n`);
}
globalThis[Symbol.for('shipgate.warmUp')] = commands;
startBundle(bundle, (specifier) => import(specifier), { writeCache: true });

/**
 * A build step (scripts/bundle.mjs): the CLI bundle runs the commands most others begin with, in
 * one process, and writes the bundle's code cache when it exits, so the cache holds what they
 * compiled: `plan` of the demo (configuration, every check kind, planning) and `history` of a
 * project with one recorded run (the SQLite store, its queries, the listing).
 */
import { execFileSync } from 'node:child_process';
import process from 'node:process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, URL } from 'node:url';
import { startBundle } from '../dist/cli/load-bundle.js';

const bundle = fileURLToPath(new URL('../dist/cli/shipgate.cjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'shipgate-warm-up-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
const config = join(dir, 'shipgate.yml');
writeFileSync(config, 'name: warm-up\ngates:\n  build: { run: "true" }\n');
// The recorded run comes from another process: what a run compiles is not what most commands need.
execFileSync(process.execPath, [bundle, 'run', '0.0.0', '--local', '-c', config], { cwd: dir, stdio: 'ignore', env: process.env });

globalThis[Symbol.for('shipgate.warmUp')] = [
  ['plan', '-c', 'examples/demo/shipgate.yml'],
  ['history', '-c', config],
];
startBundle(bundle, (specifier) => import(specifier), { writeCache: true });

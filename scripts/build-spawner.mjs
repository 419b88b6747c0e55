/**
 * Builds dist/run/shipgate-spawner from src/run/spawner.c with the machine's C compiler ($CC, cc,
 * gcc or clang). Optional by design: without a compiler (or off Linux) the build says so and
 * shipgate starts every command with Node's spawn, which is slower per command but contains them
 * the same way (src/run/spawner.ts). Written to a temporary name and renamed, so a failed build
 * never leaves half a binary where shipgate would run it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'run', 'spawner.c');
const target = join(root, 'dist', 'run', 'shipgate-spawner');
const partial = `${target}.${process.pid}.tmp`;

function build() {
  if (process.platform !== 'linux') return 'it is for Linux only';
  const compilers = [process.env.CC, 'cc', 'gcc', 'clang'].filter(Boolean);
  const why = [];
  for (const cc of compilers) {
    try {
      execFileSync(cc, ['-O2', '-Wall', '-Wextra', '-o', partial, source], { stdio: ['ignore', 'pipe', 'pipe'] });
      renameSync(partial, target);
      return undefined;
    } catch (e) {
      rmSync(partial, { force: true });
      why.push(`${cc}: ${e.code === 'ENOENT' ? 'not found' : String(e.stderr ?? e.message).trim().split('\n')[0]}`);
    }
  }
  return `no C compiler could build it (${why.join('; ')})`;
}

mkdirSync(dirname(target), { recursive: true });
// A binary from an earlier build of other sources must not outlive a failed build.
rmSync(target, { force: true });
const problem = build();
if (problem) {
  process.stderr.write(`shipgate-spawner not built: ${problem}; commands will start with Node's spawn (slower per command, contained alike)\n`);
}

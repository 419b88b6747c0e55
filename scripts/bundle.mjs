/**
 * The CLI as one CommonJS bundle started with V8's code cache (src/cli/load-bundle.ts says why):
 *
 *   dist/cli/shipgate.cjs        every module the CLI runs, bundled
 *   dist/cli/shipgate.cjs.cache  its code cache, made here by a warm-up run (scripts/warm-cli.mjs)
 *   dist/cli/main.cjs            the bin: a small CommonJS file that starts the bundle with the cache
 *   dist/cli/main.js             the bin of earlier releases, now a way into main.cjs
 *
 * Commands stay lazy inside the bundle (esbuild runs a module's body only when it is imported).
 * The library entry (dist/index.js) and the type declarations stay as tsc writes them.
 * Optional modules are not bundled: pg (loaded only for PostgreSQL), tsx (only for
 * shipgate.config.ts), autocannon and hdr-histogram-js (only for `load:` checks; autocannon finds
 * its own files at run time). better-sqlite3's JavaScript is, and used only beside the version of
 * its native addon it came with (src/store/sqlite.ts).
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import process from 'node:process';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commanderChildProcessOnUse, englishOnlyZod, nonAsciiProblem, usedStatisticsOnly } from './bundle-parts.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// What earlier builds left: the chunked ES module bundle, and a cache made for another bundle.
rmSync(join(root, 'dist', 'cli', 'chunks'), { recursive: true, force: true });
rmSync(join(root, 'dist', 'cli', 'shipgate.cjs.cache'), { force: true });

/** What both outputs are: CommonJS files for this Node, ASCII, knowing their own URL. */
const commonJs = {
  absWorkingDir: root,
  outdir: 'dist/cli',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20.19',
  // The file's own URL, for the modules that find files beside themselves.
  define: { 'import.meta.url': '__shipgateUrl' },
  legalComments: 'none',
  charset: 'ascii',
  logLevel: 'warning',
};
const OWN_URL = "var __shipgateUrl = require('node:url').pathToFileURL(__filename).href;";

await build({
  ...commonJs,
  entryPoints: { shipgate: 'src/cli/main.ts' },
  // A script compiled through node:vm may not call import() (Node 20): literal imports become
  // require(); the few that must stay real go through util/import-module.ts.
  supported: { 'dynamic-import': false },
  // The directive comes first, or it is none: esbuild hoists module functions to the top level,
  // and shipgate's code is strict as the ES modules it was written as.
  banner: { js: `'use strict'; ${OWN_URL}` },
  external: ['pg', 'tsx', 'tsx/*', 'autocannon', 'hdr-histogram-js'],
  // Whitespace and syntax only: names stay readable in the stack trace of an internal error.
  minifyWhitespace: true,
  minifySyntax: true,
  plugins: [englishOnlyZod, usedStatisticsOnly, commanderChildProcessOnUse],
});

// The loader reads an ASCII bundle as latin1 (bundle-parts.mjs says why).
{
  const problem = nonAsciiProblem(readFileSync(join(root, 'dist', 'cli', 'shipgate.cjs')), 'dist/cli/shipgate.cjs');
  if (problem) throw new Error(problem);
}

// The bin: a small CommonJS file that starts the bundle with its cache (src/cli/bin.ts says why).
const bin = join(root, 'dist', 'cli', 'main.cjs');
await build({
  ...commonJs,
  entryPoints: { main: 'src/cli/bin.ts' },
  banner: { js: `#!/usr/bin/env node\n'use strict'; ${OWN_URL}` },
  minifySyntax: true,
});
chmodSync(bin, 0o755);
// dist/cli/main.js, the bin of earlier releases, stays a way in for whoever calls it by path.
const legacy = join(root, 'dist', 'cli', 'main.js');
writeFileSync(legacy, `#!/usr/bin/env node\n// shipgate's bin is main.cjs beside this file; this path still starts it.\nimport './main.cjs';\n`);
// tsc wrote this file first: the mode given to a write applies only to a new file.
chmodSync(legacy, 0o755);
// tsc's maps of the entries it compiled there no longer describe the files.
for (const f of ['main.js.map', 'bin.js', 'bin.js.map', 'bin.d.ts']) rmSync(join(root, 'dist', 'cli', f), { force: true });

// The warm-up (scripts/warm-cli.mjs): `plan` of the demo and `history`, in one process.
execFileSync(process.execPath, ['scripts/warm-cli.mjs'], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
  // A coverage hook or loader in NODE_OPTIONS would change V8's flags, and so the cache.
  env: { ...process.env, NODE_OPTIONS: '' },
});

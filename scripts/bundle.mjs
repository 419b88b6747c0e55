/**
 * The CLI as one CommonJS bundle started with V8's code cache (src/cli/load-bundle.ts says why):
 *
 *   dist/cli/shipgate.cjs        every module the CLI runs, bundled
 *   dist/cli/shipgate.cjs.cache  its code cache, made here by a warm-up run (`plan` of the demo)
 *   dist/cli/main.js             the bin: an ES module that starts the bundle with the cache
 *
 * Commands stay lazy inside the bundle (esbuild runs a module's body only when it is imported).
 * The library entry (dist/index.js) and the type declarations stay as tsc writes them.
 * Native and optional modules are not bundled: better-sqlite3 (a native addon), pg (loaded only
 * for PostgreSQL), tsx (only for shipgate.config.ts), autocannon and hdr-histogram-js (only for
 * `load:` checks; autocannon finds its own files at run time).
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import process from 'node:process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * zod re-exports every locale it has (`z.locales`: ~40 languages, a third of the CLI's code) and
 * configures English itself; shipgate's messages are English and never pick another locale. Its
 * locale index is replaced by English alone, so no command parses and compiles the rest.
 */
const englishOnlyZod = {
  name: 'english-only-zod',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: 'zod-locales-en', namespace: 'zod-locales' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, () => ({
      contents: "export { default as en } from 'zod/v4/locales/en.js';",
      resolveDir: root,
      loader: 'js',
    }));
  },
};

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// What earlier builds left: the chunked ES module bundle, and a cache made for another bundle.
rmSync(join(root, 'dist', 'cli', 'chunks'), { recursive: true, force: true });
rmSync(join(root, 'dist', 'cli', 'shipgate.cjs.cache'), { force: true });
await build({
  absWorkingDir: root,
  entryPoints: { shipgate: 'src/cli/main.ts' },
  outdir: 'dist/cli',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20.19',
  // A script compiled through node:vm may not call import() (Node 20): literal imports become
  // require(); the few that must stay real go through util/import-module.ts.
  supported: { 'dynamic-import': false },
  // The bundle's own URL, for the modules that find files beside themselves.
  define: { 'import.meta.url': '__shipgateUrl' },
  // The directive comes first, or it is none: esbuild hoists module functions to the top level,
  // and shipgate's code is strict as the ES modules it was written as.
  banner: { js: "'use strict'; var __shipgateUrl = require('node:url').pathToFileURL(__filename).href;" },
  external: ['better-sqlite3', 'pg', 'tsx', 'tsx/*', 'autocannon', 'hdr-histogram-js'],
  // Whitespace and syntax only: names stay readable in the stack trace of an internal error.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  charset: 'ascii',
  logLevel: 'warning',
  plugins: [englishOnlyZod],
});

const bin = join(root, 'dist', 'cli', 'main.js');
writeFileSync(
  bin,
  `#!/usr/bin/env node
// shipgate's CLI is shipgate.cjs beside this file, started with its code cache (scripts/bundle.mjs).
import { startBundle } from './load-bundle.js';
startBundle(new URL('./shipgate.cjs', import.meta.url), (specifier) => import(specifier));
`,
);
// tsc wrote this file first: the mode given to a write applies only to a new file.
chmodSync(bin, 0o755);
// tsc's map of the entry it compiled there no longer describes the file.
rmSync(join(root, 'dist', 'cli', 'main.js.map'), { force: true });

// The warm-up: planning the demo compiles what most commands run first (configuration, checks, plan).
execFileSync(process.execPath, ['scripts/warm-cli.mjs', 'plan', '-c', 'examples/demo/shipgate.yml'], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
  // A coverage hook or loader in NODE_OPTIONS would change V8's flags, and so the cache.
  env: { ...process.env, NODE_OPTIONS: '' },
});

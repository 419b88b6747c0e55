/**
 * The CLI as a few bundled files instead of ~150 modules: Node's ES module loader spends more on
 * finding, reading and linking many small files than on running them, and `shipgate validate` or
 * `history` should cost little more than starting Node. Commands stay separate chunks, loaded on
 * demand. The library entry (dist/index.js) and the type declarations stay as tsc writes them.
 * Native and optional modules are not bundled: better-sqlite3 (a native addon), pg (loaded only
 * for PostgreSQL), tsx (only for shipgate.config.ts), autocannon and hdr-histogram-js (only for
 * `load:` checks; autocannon finds its own files at run time).
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
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
rmSync(join(root, 'dist', 'cli', 'chunks'), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist/cli',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  external: ['better-sqlite3', 'pg', 'tsx', 'tsx/*', 'autocannon', 'hdr-histogram-js'],
  // Whitespace and syntax only: names stay readable in the stack trace of an internal error.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  // Bundled CommonJS dependencies (yaml, commander) may call require(); give them one.
  banner: { js: "import { createRequire as __shipgateRequire } from 'node:module'; const require = __shipgateRequire(import.meta.url);" },
  logLevel: 'warning',
  plugins: [englishOnlyZod],
});

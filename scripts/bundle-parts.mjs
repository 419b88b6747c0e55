/**
 * The parts of the CLI build that decide what is in the bundle (scripts/bundle.mjs uses them, and
 * test/build/bundle-parts.test.ts tries each): esbuild plugins that keep what a command does not
 * use out of start-up, and the check that the bundle is ASCII.
 */
import { createRequire } from 'node:module';
import { dirname, join, resolve as resolvePath, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * zod re-exports every locale it has (`z.locales`: ~40 languages, a third of the CLI's code) and
 * configures English itself; shipgate's messages are English and never pick another locale. Its
 * locale index is replaced by English alone, so no command parses and compiles the rest.
 */
export const englishOnlyZod = {
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

/**
 * commander loads node:child_process (and with it node:net and the streams) when it loads, for
 * subcommands that are separate executables, which shipgate has none of: 1.4 ms of every command.
 * Its child_process is one that loads on first use.
 */
export const commanderChildProcessOnUse = {
  name: 'commander-child-process-on-use',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'on-use' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'on-use' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_, key) => require('node:child_process')[key] });",
      loader: 'js',
    }));
  },
};


/**
 * simple-statistics' one-file build computes its distribution tables when it loads, 1.5 ms of every
 * command, for the handful of functions shipgate uses in judging. Its package also ships the same
 * code as one ES module per function (its "source" entry, index.js): bundled from those, marked
 * free of side effects, only what is used is kept, and nothing runs at load.
 */
export const usedStatisticsOnly = {
  name: 'used-statistics-only',
  setup(b) {
    const dir = dirname(createRequire(import.meta.url).resolve('simple-statistics/package.json'));
    const inside = (p) => p.startsWith(dir + sep);
    b.onResolve({ filter: /^simple-statistics$/ }, () => ({ path: join(dir, 'index.js'), sideEffects: false }));
    b.onResolve({ filter: /^\./ }, (args) => (inside(args.importer) ? { path: resolvePath(args.resolveDir, args.path), sideEffects: false } : undefined));
  },
};

/**
 * The loader reads an ASCII bundle as latin1, a plain copy, and V8 keeps it as one byte a
 * character; UTF-8 takes longer to decode and twice the memory. esbuild escapes what it can, but
 * not in a tagged template (its raw text is observable): such a character must be written as an
 * escape or an HTML entity in the source. The problem with `bytes`, named by line, or undefined.
 */
export function nonAsciiProblem(bytes, name) {
  const at = bytes.findIndex((b) => b > 0x7f);
  if (at < 0) return undefined;
  const line = bytes.subarray(0, at).toString('latin1').split('\n').length;
  // The text around it, on its own line only.
  const start = Math.max(bytes.lastIndexOf(0x0a, at) + 1, at - 60);
  const newline = bytes.indexOf(0x0a, at);
  const text = bytes.subarray(start, Math.min(newline < 0 ? bytes.length : newline, at + 20)).toString('utf8');
  return `${name}:${line} holds a non-ASCII character (…${text}…); write it as an escape or an HTML entity in the source`;
}

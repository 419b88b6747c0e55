/**
 * The layer order of the source tree, and a checker that reads every import of every .ts file
 * under a folder and reports those that go up the order. Layers import downwards only:
 *
 *   util → errors → model → config · checks → plan · evidence → policy → decide → store → run
 *     → report · serve · attest → notify → cli · index.ts
 *
 * `checks` (the gate check kinds) sits beside `config`: a kind brings its own configuration
 * schema, so config must be able to read it; what a kind needs from the run stage (services,
 * listeners, the abort signal) comes in through its run context, never as an import.
 * Folders on one level may import each other.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

export const LAYERS: readonly (readonly string[])[] = [
  ['util'],
  ['errors.ts'],
  ['model'],
  ['config', 'checks'],
  ['plan', 'evidence'],
  ['policy'],
  ['decide'],
  ['store'],
  ['run'],
  ['report', 'serve', 'attest'],
  ['notify'],
  ['cli', 'index.ts'],
];

export interface UpwardImport {
  /** The importing file, relative to the source root. */
  file: string;
  /** The import as written. */
  specifier: string;
  from: string;
  to: string;
}

export interface LayerReport {
  files: number;
  imports: number;
  upward: UpwardImport[];
  /** Files in a top-level folder the order does not name: each must be placed. */
  unplaced: string[];
}

/** The top-level entry (folder or file) of a path relative to the source root. */
function unitOf(rel: string): string {
  return rel.split(sep)[0]!;
}

function rankOf(unit: string): number | undefined {
  const i = LAYERS.findIndex((layer) => layer.includes(unit));
  return i === -1 ? undefined : i;
}

function* tsFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* tsFiles(p);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) yield p;
  }
}

/**
 * Every import of one file: static imports and re-exports (type-only ones too: a type import is
 * still a dependency on the layer that owns the type) and dynamic `import()`.
 */
export function importsOf(source: string): string[] {
  const info = ts.preProcessFile(source, true, true);
  return info.importedFiles.map((f) => f.fileName);
}

/** Check a source root (a folder laid out like `src/`). Test files are held to the same order. */
export function checkLayers(root: string): LayerReport {
  const report: LayerReport = { files: 0, imports: 0, upward: [], unplaced: [] };
  for (const file of tsFiles(root)) {
    const rel = relative(root, file);
    const from = unitOf(rel);
    const fromRank = rankOf(from);
    report.files++;
    if (fromRank === undefined) {
      report.unplaced.push(rel);
      continue;
    }
    for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) continue; // packages and node: builtins are outside the order
      report.imports++;
      const target = relative(root, resolve(dirname(file), specifier));
      if (target.startsWith('..')) continue; // outside the source root (package.json, test helpers)
      const to = unitOf(target).replace(/\.js$/, '.ts');
      const toRank = rankOf(to);
      if (toRank === undefined || toRank > fromRank) report.upward.push({ file: rel, specifier, from, to });
    }
  }
  return report;
}

/**
 * A real ES module import, for what must stay one: a user's shipgate.config.mjs (it may use
 * top-level await, which require() refuses) and tsx's loader API.
 *
 * The CLI runs as one script compiled through node:vm with V8's code cache (src/cli/load-bundle.ts),
 * and Node 20 lets such a script call import() only with an experimental flag. So its loader, an
 * ordinary ES module, hands in its own import under this symbol; everywhere else (the library,
 * tests) the plain import() is used.
 */
export const IMPORT_HOOK = Symbol.for('shipgate.importModule');

type Importer = (specifier: string) => Promise<unknown>;

export function importModule(specifier: string): Promise<unknown> {
  const hook = (globalThis as Record<symbol, unknown>)[IMPORT_HOOK];
  return typeof hook === 'function' ? (hook as Importer)(specifier) : import(specifier);
}

/** What to do when the SQLite driver cannot run: shared by the loader (store.ts) and the opener (sqlite.ts). */
export const SQLITE_BINDING_HINT = 'its native binding is missing or built for another Node.js: run `npm rebuild better-sqlite3`, or run with --no-history';

/** Errors of a native addon that is missing, or built for another Node.js or platform. */
export function isBindingError(message: string): boolean {
  return /bindings file|\.node\b.*(cannot open|no such file)|NODE_MODULE_VERSION|compiled against a different Node|invalid ELF header|wrong ELF class/i.test(message);
}

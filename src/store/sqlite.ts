import { mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  SqliteAdapter,
  SqliteDriver,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type SqliteDatabase,
} from 'kysely';
import { StoreError } from '../errors.js';
import type { Database } from './db.js';
import { isBindingError, SQLITE_BINDING_HINT } from './hints.js';

/** How long a writer waits for another process's write transaction before giving up. */
export const SQLITE_BUSY_TIMEOUT_MS = 30_000;

/**
 * Kysely's SQLite driver opens transactions with a plain (deferred) BEGIN. Two processes that both
 * read and then try to write would then deadlock on the lock upgrade, and SQLite answers that with
 * SQLITE_BUSY at once, without honouring busy_timeout. Beginning IMMEDIATE takes the write lock up
 * front, so concurrent writers queue behind busy_timeout instead of failing.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  /**
   * On SQLITE_FULL, SQLITE_IOERR and a few more, SQLite has already rolled the transaction back; the
   * ROLLBACK Kysely then sends fails with "no transaction is active", and that error would replace
   * the one that says what happened (the disk is full).
   */
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await super.rollbackTransaction(connection);
    } catch (e) {
      if (!/no transaction is active/i.test(String((e as Error)?.message ?? e))) throw e;
    }
  }
}

/** Prepared statements kept per connection; the bulk inserts of a run reuse a handful of them. */
const STATEMENT_CACHE_SIZE = 64;

/**
 * better-sqlite3 handle whose prepare() reuses statements by SQL text. Kysely's SQLite driver
 * prepares every query anew; a run's bulk insert sends the same 30,000-parameter statement dozens
 * of times, and parsing it each time is pure overhead. A statement still iterating (`busy`) is
 * never handed out twice.
 */
function cachingHandle(handle: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(text: string) {
      const hit = cache.get(text);
      if (hit && !hit.busy) {
        // Re-insert: a Map iterates in insertion order, so the first key is the least recently used.
        cache.delete(text);
        cache.set(text, hit);
        return hit;
      }
      const stmt = handle.prepare(text);
      if (!hit) {
        cache.set(text, stmt);
        if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      }
      return stmt;
    },
    close() {
      cache.clear();
      handle.close();
    },
  };
}

/**
 * Switch a database to WAL. The switch needs an exclusive lock, and SQLite answers SQLITE_BUSY at
 * once (without the busy handler) when another process is opening the same fresh file: two
 * `shipgate run` started together would otherwise fail. Retry within the busy timeout.
 */
function enableWal(handle: BetterSqlite3.Database): void {
  const deadline = Date.now() + SQLITE_BUSY_TIMEOUT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      handle.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (!code.startsWith('SQLITE_BUSY') && !code.startsWith('SQLITE_LOCKED')) throw err;
      if (Date.now() > deadline) throw err;
      Atomics.wait(pause, 0, 0, 10 + Math.floor(Math.random() * 40));
    }
  }
}

/**
 * better-sqlite3's native addon. Where its install (the prebuilt binary, or node-gyp) puts it, it
 * is named directly. Unnamed, better-sqlite3 would ask the `bindings` package, which walks a stack
 * trace and tries a dozen paths (about 4 ms of every command that opens the store), and which,
 * bundled into the CLI, would look beside the bundle instead of in better-sqlite3's folder. So an
 * addon anywhere else (a Debug build, another layout) is found by the same search, run from there.
 */
function addon(): string | object {
  const dir = dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json'));
  const file = join(dir, 'build', 'Release', 'better_sqlite3.node');
  if (isFile(file)) return file;
  const bindings = createRequire(join(dir, 'package.json'))('bindings') as (o: { bindings: string; module_root: string }) => object;
  return bindings({ bindings: 'better_sqlite3.node', module_root: dir });
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function openSqlite(file: string): Kysely<Database> {
  let handle: BetterSqlite3.Database;
  try {
    mkdirSync(dirname(file), { recursive: true });
    // A path or, from the search, the loaded addon: better-sqlite3 takes either (its types say path).
    handle = new BetterSqlite3(file, { nativeBinding: addon() as string });
    handle.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    enableWal(handle);
    // NORMAL is durable against process crashes in WAL mode (only an OS crash may lose the last commit).
    handle.pragma('synchronous = NORMAL');
    handle.pragma('foreign_keys = ON');
    // A run's tests are one blob per gate, written once and read in one pass (test-log.ts): a big
    // page cache would only hold pages of blobs already read, and a million-test log alone fills
    // 14 MB of pages. The small indexes fit in this.
    handle.pragma('cache_size = -8192');
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // better-sqlite3 loads its native addon on first use, here: a missing one is not a bad file.
    if (isBindingError(message)) {
      throw new StoreError('STORE_OPEN', `cannot load the SQLite driver (better-sqlite3): ${message.split('\n')[0]}`, { hint: SQLITE_BINDING_HINT, cause: err });
    }
    throw new StoreError('STORE_OPEN', `cannot open the history store ${file}: ${message}`, {
      hint: 'check that the path is a writable SQLite file (or remove a damaged one), or set SHIPGATE_DATABASE_URL',
      cause: err,
    });
  }
  const dialect: Dialect = {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new ImmediateSqliteDriver({ database: cachingHandle(handle) }),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
  return new Kysely<Database>({ dialect });
}

import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import bundledPackage from 'better-sqlite3/package.json' with { type: 'json' };
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

interface Driver {
  Database: typeof BetterSqlite3;
  addon: object;
}

/**
 * better-sqlite3, JavaScript and native addon, loaded here: a failure to load it is then never
 * taken for a bad store file (whose hint sends the user to delete their history).
 *
 * The CLI bundle carries a copy of better-sqlite3's JavaScript (loading it from node_modules cost
 * a few ms of every command that opens the store). The copy is used only when the installed
 * package is the version it was made from; any other (an override, a newer release) is loaded from
 * its own folder, to match the addon installed with it.
 *
 * The addon, where its install (the prebuilt binary, or node-gyp) puts it, build/Release, is loaded
 * directly; better-sqlite3 would ask the `bindings` package, which walks a stack trace and tries a
 * dozen paths. `bindings` looks in build/ and build/Debug first, so when either holds an addon, or
 * Release holds none, its own search decides, run from better-sqlite3's folder.
 */
function loadDriver(): Driver {
  try {
    const fromHere = createRequire(import.meta.url);
    const pkg = fromHere.resolve('better-sqlite3/package.json');
    const dir = dirname(pkg);
    const installed = (JSON.parse(readFileSync(pkg, 'utf8')) as { version?: unknown }).version;
    const Database = installed === bundledPackage.version ? BetterSqlite3 : (fromHere('better-sqlite3') as typeof BetterSqlite3);
    const fromDir = createRequire(pkg);
    const release = join(dir, 'build', 'Release', 'better_sqlite3.node');
    const earlier = [join(dir, 'build', 'better_sqlite3.node'), join(dir, 'build', 'Debug', 'better_sqlite3.node')];
    if (isFile(release) && !earlier.some(isFile)) return { Database, addon: fromDir(release) as object };
    const bindings = fromDir('bindings') as (o: { bindings: string; module_root: string }) => object;
    return { Database, addon: bindings({ bindings: 'better_sqlite3.node', module_root: dir }) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new StoreError('STORE_OPEN', `cannot load the SQLite driver (better-sqlite3): ${message.split('\n')[0]}`, { hint: SQLITE_BINDING_HINT, cause: err });
  }
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
  const driver = loadDriver();
  try {
    mkdirSync(dirname(file), { recursive: true });
    // better-sqlite3 takes the loaded addon as well as a path (its types say path only).
    handle = new driver.Database(file, { nativeBinding: driver.addon as unknown as string });
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

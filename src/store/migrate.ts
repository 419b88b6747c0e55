import { sql, type Kysely, type Transaction } from 'kysely';
import { StoreError } from '../errors.js';
import type { Database } from './db.js';
import { MIGRATIONS, type StoreKind } from './migrations/index.js';

export const LATEST_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

/**
 * Bring the schema up to date. Safe when several processes open a fresh store at once: the check
 * and the migrations run in one transaction that first takes the store-wide write lock (SQLite:
 * the transaction begins IMMEDIATE, see sqlite.ts; PostgreSQL: a transaction-scoped advisory lock
 * keyed on the schema), so the second process waits and then finds nothing left to do.
 */
export async function migrate(db: Kysely<Database>, kind: StoreKind, schema?: string): Promise<void> {
  // Fast path without any lock: an up-to-date store is the common case on every run.
  if ((await currentVersion(db).catch(() => -1)) === LATEST_VERSION) return;
  try {
    await db.transaction().execute(async (trx) => {
      if (kind === 'postgres') {
        const lockSchema = schema ?? 'public';
        await sql`select pg_advisory_xact_lock(${0x5348_4950}, hashtext(${lockSchema}))`.execute(trx);
        if (schema) await sql`create schema if not exists ${sql.id(schema)}`.execute(trx);
      }
      await trx.schema
        .createTable('shipgate_migrations')
        .ifNotExists()
        .addColumn('version', 'integer', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('applied_at', 'text', (c) => c.notNull())
        .execute();
      const have = await currentVersion(trx);
      if (have > LATEST_VERSION) {
        throw new StoreError(
          'STORE_MIGRATE',
          `the history store has schema version ${have}, newer than this shipgate knows (${LATEST_VERSION})`,
          { hint: 'upgrade shipgate, or point it at another store (SHIPGATE_DATABASE_URL / store.url)' },
        );
      }
      for (const m of [...MIGRATIONS].sort((a, b) => a.version - b.version)) {
        if (m.version <= have) continue;
        await m.up(trx, kind);
        await trx
          .insertInto('shipgate_migrations')
          .values({ version: m.version, name: m.name, applied_at: new Date().toISOString() })
          .execute();
      }
    });
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new StoreError('STORE_MIGRATE', `could not migrate the history store: ${errorText(err)}`, {
      hint: 'check that the store is writable and not damaged; the migration was rolled back',
      cause: err,
    });
  }
}

async function currentVersion(db: Kysely<Database> | Transaction<Database>): Promise<number> {
  const row = await db
    .selectFrom('shipgate_migrations')
    .select((eb) => eb.fn.max('version').as('v'))
    .executeTakeFirst();
  return row?.v == null ? 0 : Number(row.v);
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

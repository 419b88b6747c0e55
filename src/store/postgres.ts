import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './db.js';
import type { PostgresTarget } from './url.js';

export function openPostgres(target: PostgresTarget): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: target.url,
    max: 4,
    // Every pooled connection works in the store's schema, so the shared queries stay unqualified.
    ...(target.schema ? { options: `-c search_path=${target.schema}` } : {}),
  });
  // A client that loses its server emits 'error': on the pool while idle, on the client itself
  // while checked out between two statements of a transaction (pg-pool removes its own listener on
  // checkout). Without a listener either would crash the process; with one, the next statement on
  // that client fails, the store turns it into a StoreError, and the run reports it as a blocker.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}


import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { StoreError } from '../errors.js';
import type { Database } from './db.js';

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export interface PostgresTarget {
  /** The connection URL without shipgate's own `schema` parameter. */
  url: string;
  schema?: string;
}

/** Split `?schema=` off the URL (pg would pass unknown parameters on to the server) and check it. */
export function parsePostgresUrl(url: string, schemaOption?: string): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new StoreError('STORE_URL', `the store URL is not a valid URL: ${redact(url)}`, {
      hint: 'use postgres://user@host:5432/database (optionally ?schema=name)',
      cause: err,
    });
  }
  const fromUrl = parsed.searchParams.get('schema') ?? undefined;
  parsed.searchParams.delete('schema');
  const schema = schemaOption ?? fromUrl;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new StoreError('STORE_URL', `invalid PostgreSQL schema name "${schema}"`, {
      hint: 'a schema name is letters, digits and underscores, not starting with a digit (at most 63)',
    });
  }
  return { url: parsed.toString(), schema };
}

export function openPostgres(target: PostgresTarget): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: target.url,
    max: 4,
    // Every pooled connection works in the store's schema, so the shared queries stay unqualified.
    ...(target.schema ? { options: `-c search_path=${target.schema}` } : {}),
  });
  // An idle client that loses its server emits 'error' on the pool; without a listener that would
  // crash the process. The next query reports the failure instead.
  pool.on('error', () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** The URL with any password masked, for messages. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

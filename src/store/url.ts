/**
 * Store URLs: parsed and checked without loading a database driver, and masked for every message
 * (a URL's password — `user:pass@` or `?password=` — is never printed).
 */
import { StoreError } from '../errors.js';

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

/** The URL with any password masked, for messages: `user:***@`, `password=***`, `sslpassword=***`. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@?#]+:)[^@/?#]*@/, '$1***@').replace(/([?&](?:ssl)?password=)[^&#]*/gi, '$1***');
}

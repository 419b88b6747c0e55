import { CompiledQuery, PostgresAdapter, type Compilable, type Kysely } from 'kysely';
import { StoreError, UsageError } from '../../errors.js';
import type { Database } from '../db.js';

/**
 * Bound parameters per statement. SQLite allows 32,766 and PostgreSQL 65,535; staying under both
 * keeps one chunking rule for the shared queries.
 */
export const MAX_PARAMS = 30_000;

/**
 * Whether `db` (a store or one of its transactions) talks to PostgreSQL. The queries are shared;
 * only the two bulk writes of a run (test ids and test results) take a PostgreSQL-specific path,
 * because sending 100,000 rows as array parameters is several times faster there than as rows.
 */
export function isPostgres(db: Kysely<Database>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** PostgreSQL element types the bulk statements send arrays of. */
export type PgArrayType = 'int' | 'bigint' | 'text' | 'float8';

/**
 * PostgreSQL bulk insert: one statement, one array parameter per column, expanded server-side with
 * `unnest` (`INSERT INTO t (a, b) SELECT * FROM unnest($1::int[], $2::text[])`). The parameter
 * count no longer grows with the row count, and the server parses one short statement instead of
 * 100,000 row tuples. `constants` are columns with one value for every row (sent once, not per row).
 * Table and column names come from this module's callers, never from input.
 */
export async function pgUnnestInsert(
  db: Kysely<Database>,
  table: string,
  constants: { column: string; type: PgArrayType; value: unknown }[],
  columns: { column: string; type: PgArrayType; values: unknown[] }[],
): Promise<void> {
  if (columns.length === 0 || (columns[0] as { values: unknown[] }).values.length === 0) return;
  const params: unknown[] = [];
  const param = (value: unknown, type: string): string => {
    params.push(value);
    return `$${params.length}::${type}`;
  };
  const consts = constants.map((c) => param(c.value, c.type));
  const arrays = columns.map((c) => param(pgArray(c.values, c.type), `${c.type}[]`));
  const names = [...constants, ...columns].map((c) => `"${c.column}"`).join(', ');
  const cols = columns.map((_, i) => `u.c${i}`);
  const text =
    `insert into "${table}" (${names}) select ${[...consts, ...cols].join(', ')} ` +
    `from unnest(${arrays.join(', ')}) as u(${columns.map((_, i) => `c${i}`).join(', ')})`;
  await db.executeQuery(CompiledQuery.raw(text, params));
}

/**
 * A PostgreSQL array literal (`{1,2,NULL}`, `{"a","b\\"c"}`) for an array parameter. pg would
 * build it too, but element by element through its generic value conversion, which costs more
 * than the server's insert for 100,000-element arrays; repeated text (gate, status) is escaped once.
 */
export function pgArray(values: readonly unknown[], type: PgArrayType): string {
  const out = new Array<string>(values.length);
  if (type === 'text') {
    const seen = new Map<string, string>();
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null || v === undefined) {
        out[i] = 'NULL';
        continue;
      }
      const s = String(v);
      let quoted = seen.get(s);
      if (quoted === undefined) {
        quoted = `"${s.replace(/[\\"]/g, '\\$&')}"`;
        if (seen.size < 1000) seen.set(s, quoted);
      }
      out[i] = quoted;
    }
  } else {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null || v === undefined) out[i] = 'NULL';
      else if (typeof v === 'number' && Number.isFinite(v)) out[i] = String(v);
      else throw new StoreError('STORE_WRITE', `internal: ${String(v)} is not a finite number for a ${type}[] parameter`);
    }
  }
  return `{${out.join(',')}}`;
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Rows per multi-row INSERT for a table with `columns` bound values per row. */
export function rowsPerInsert(columns: number): number {
  return Math.max(1, Math.floor(MAX_PARAMS / columns));
}

/** ISO-8601 UTC, the one timestamp form stored (sorts as text on both backends). */
export function isoTime(value: string, what: string): string {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new StoreError('STORE_WRITE', `${what} is not a valid timestamp: "${value}"`, { hint: 'use an ISO-8601 time' });
  return new Date(t).toISOString();
}

export function finiteOrNull(n: number | undefined | null): number | null {
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Run a store operation; anything that is not already one of ours becomes a StoreError with `code`. */
export async function guard<T>(code: 'STORE_WRITE' | 'STORE_READ', what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StoreError || err instanceof UsageError) throw err;
    throw new StoreError(code, `${what} failed: ${errorText(err)}`, {
      hint:
        code === 'STORE_WRITE'
          ? 'the change was rolled back; check that the store is reachable and writable, then retry'
          : 'check that the store is reachable and not damaged',
      cause: err,
    });
  }
}

export function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new StoreError('STORE_READ', `the stored ${what} is not valid JSON`, {
      hint: 'the store may be damaged; the record cannot be shown',
      cause: err,
    });
  }
}

/**
 * A multi-row INSERT in chunks, compiling the statement once. Compiling a 100,000-row insert with
 * Kysely costs more than executing it, and every full chunk has the same SQL text, so the first
 * full chunk is compiled and later ones only bind new values (and, on SQLite, reuse the prepared
 * statement). The values are laid out as Kysely lays them out (row by row, in `columns` order);
 * the first chunk checks that this still holds. Returns the rows of a RETURNING clause, if any.
 */
export async function insertChunked<R extends Record<string, unknown>, O = unknown>(
  db: Kysely<Database>,
  rows: readonly R[],
  columns: readonly (keyof R & string)[],
  build: (part: R[]) => Compilable<O>,
  rowsPerChunk = rowsPerInsert(columns.length),
): Promise<O[]> {
  const size = Math.max(1, rowsPerChunk);
  const out: O[] = [];
  let i = 0;
  if (rows.length >= size * 2) {
    const template = build(rows.slice(0, size)).compile();
    const first = flatten(rows, 0, size, columns);
    if (first.length !== template.parameters.length || first.some((v, k) => v !== template.parameters[k])) {
      throw new StoreError('STORE_WRITE', 'internal: bulk insert parameter layout does not match the compiled statement');
    }
    for (; i + size <= rows.length; i += size) {
      const params = i === 0 ? first : flatten(rows, i, size, columns);
      out.push(...(await db.executeQuery(CompiledQuery.raw(template.sql, params) as CompiledQuery<O>)).rows);
    }
  }
  for (; i < rows.length; i += size) out.push(...(await db.executeQuery(build(rows.slice(i, i + size)).compile())).rows);
  return out;
}

function flatten<R extends Record<string, unknown>>(rows: readonly R[], from: number, count: number, columns: readonly (keyof R)[]): unknown[] {
  const out = new Array<unknown>(count * columns.length);
  let k = 0;
  for (let r = from; r < from + count; r++) {
    const row = rows[r] as R;
    for (const c of columns) out[k++] = row[c];
  }
  return out;
}

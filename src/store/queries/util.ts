import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import { StoreError, UsageError } from '../../errors.js';
import type { Database } from '../db.js';

/**
 * Bound parameters per statement. SQLite allows 32,766 and PostgreSQL 65,535; staying under both
 * keeps one chunking rule for the shared queries.
 */
export const MAX_PARAMS = 30_000;

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
 * full chunk is compiled and later ones only bind new values. The values are laid out as Kysely
 * lays them out (row by row, in `columns` order); the first chunk checks that this still holds.
 */
export async function insertChunked<R extends Record<string, unknown>>(
  db: Kysely<Database>,
  rows: readonly R[],
  columns: readonly (keyof R & string)[],
  build: (part: R[]) => Compilable & { execute(): Promise<unknown> },
  rowsPerChunk = rowsPerInsert(columns.length),
): Promise<void> {
  const size = Math.max(1, rowsPerChunk);
  let i = 0;
  if (rows.length >= size * 2) {
    const template = build(rows.slice(0, size)).compile();
    const first = flatten(rows, 0, size, columns);
    if (first.length !== template.parameters.length || first.some((v, k) => v !== template.parameters[k])) {
      throw new StoreError('STORE_WRITE', 'internal: bulk insert parameter layout does not match the compiled statement');
    }
    for (; i + size <= rows.length; i += size) {
      const params = i === 0 ? first : flatten(rows, i, size, columns);
      await db.executeQuery(CompiledQuery.raw(template.sql, params));
    }
  }
  for (; i < rows.length; i += size) await build(rows.slice(i, i + size)).execute();
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

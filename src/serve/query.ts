/**
 * Query strings, checked before anything reaches the store: every parameter a view takes is
 * declared with its kind; an unknown parameter, a repeated one, or a value out of range is a
 * ServeError (400) that names it. Nothing here trusts the browser.
 */
import { ServeError } from './errors.js';

export type ParamSpec =
  | { kind: 'text'; max?: number }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'enum'; values: readonly string[] }
  /** A run id or file name: one path segment, never `..`. */
  | { kind: 'name' };

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export function parseQuery<S extends Record<string, ParamSpec>>(
  params: URLSearchParams,
  spec: S,
): { [K in keyof S]?: S[K] extends { kind: 'int' } ? number : string } {
  const out: Record<string, string | number> = {};
  const seen = new Set<string>();
  for (const [key, value] of params) {
    const s = spec[key];
    if (!s) throw new ServeError('SERVE_BAD_QUERY', `unknown query parameter "${clip(key)}"`, `this view takes: ${Object.keys(spec).join(', ') || 'no parameters'}`);
    if (seen.has(key)) throw new ServeError('SERVE_BAD_QUERY', `query parameter "${key}" is given more than once`);
    seen.add(key);
    if (value === '') continue; // an empty form field means "no filter"
    out[key] = parseValue(key, value, s);
  }
  return out as never;
}

export function parseValue(key: string, value: string, s: ParamSpec): string | number {
  switch (s.kind) {
    case 'int': {
      if (!/^\d{1,9}$/.test(value) || Number(value) < s.min || Number(value) > s.max) {
        throw new ServeError('SERVE_BAD_QUERY', `${key}=${clip(value)}: expected a whole number from ${s.min} to ${s.max}`);
      }
      return Number(value);
    }
    case 'enum':
      if (!s.values.includes(value)) throw new ServeError('SERVE_BAD_QUERY', `${key}=${clip(value)}: expected one of ${s.values.join(', ')}`);
      return value;
    case 'name':
      if (!NAME.test(value) || value.includes('..')) throw new ServeError('SERVE_BAD_QUERY', `${key}=${clip(value)}: not a valid run id (letters, digits and . _ -, at most 200)`);
      return value;
    case 'text': {
      const max = s.max ?? 1000;
      // eslint-disable-next-line no-control-regex
      if (value.length > max || /[\u0000-\u001f\u007f]/.test(value)) {
        throw new ServeError('SERVE_BAD_QUERY', `${key}: expected printable text of at most ${max} characters`);
      }
      return value;
    }
  }
}

/** Bad input echoed back is cut short and JSON-escaped by the response, never rendered raw. */
function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

/**
 * Turn schema validation failures into ConfigIssues that say what is wrong, where, and what to
 * write instead (did-you-mean for unknown keys and enum values).
 */
import { closest, distance } from 'fastest-levenshtein';
import type { z } from 'zod';
import type { ConfigIssue } from '../errors.js';
import { formatPath, type FieldPath, type Locator } from './locate.js';

type Issue = z.core.$ZodIssue;
type Schema = z.core.$ZodType;

export function suggest(word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(word, candidates as string[]);
  return distance(word, best) <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** The object keys the schema allows at `path`, for did-you-mean hints. */
export function allowedKeys(schema: Schema, path: FieldPath): string[] {
  let s: Schema | undefined = schema;
  const unwrap = (x: Schema | undefined): Schema | undefined => {
    let cur = x;
    for (let i = 0; cur && i < 10; i++) {
      const def = cur._zod.def as { type: string; innerType?: Schema; in?: Schema; out?: Schema; options?: Schema[]; getter?: () => Schema };
      if (def.innerType) cur = def.innerType;
      // A deferred schema (deferred.ts): a pipe from an identity transform into a lazy one.
      else if (def.type === 'pipe' && def.in?._zod.def.type === 'transform' && def.out) cur = def.out;
      else if (def.type === 'pipe' && def.in) cur = def.in;
      else if (def.type === 'lazy' && def.getter) cur = def.getter();
      else if (def.type === 'union' && def.options) cur = def.options.find((o) => unwrap(o)?._zod.def.type === 'object') ?? def.options[0];
      else break;
    }
    return cur;
  };
  for (const seg of path) {
    s = unwrap(s);
    if (!s) return [];
    const def = s._zod.def as { type: string; shape?: Record<string, Schema>; valueType?: Schema; element?: Schema };
    if (def.type === 'object' && def.shape) s = def.shape[String(seg)];
    else if (def.type === 'record') s = def.valueType;
    else if (def.type === 'array') s = def.element;
    else return [];
  }
  s = unwrap(s);
  const def = s?._zod.def as { type: string; shape?: Record<string, Schema> } | undefined;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

function valueAt(root: unknown, path: FieldPath): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  record: 'a mapping',
};

/** When a value fits none of a union's shapes, report the shape it most looks like. */
function pickUnionBranch(issue: Issue & { errors?: Issue[][] }, input: unknown): Issue[] | undefined {
  const branches = issue.errors;
  if (!branches || branches.length === 0) return undefined;
  const rootTypeMismatch = (errs: Issue[]) =>
    errs.some((e) => e.code === 'invalid_type' && e.path.length === 0);
  const fitting = branches.filter((b) => !rootTypeMismatch(b));
  if (fitting.length === 0) return undefined;
  void input;
  return fitting.reduce((a, b) => (b.length < a.length ? b : a));
}

export function schemaIssues(issues: readonly Issue[], root: unknown, schema: Schema, loc: Locator): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const visit = (issue: Issue, base: FieldPath) => {
    const path = [...base, ...(issue.path as (string | number)[])];
    const actual = valueAt(root, path);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const allowed = allowedKeys(schema, path);
        for (const key of issue.keys) {
          const near = suggest(key, allowed);
          out.push({
            code: 'CONFIG_UNKNOWN_KEY',
            message: `unknown key "${key}"`,
            path: formatPath([...path, key]),
            location: loc.key([...path, key]),
            hint: near ? `did you mean "${near}"?` : allowed.length ? `allowed keys: ${allowed.join(', ')}` : undefined,
          });
        }
        return;
      }
      case 'invalid_type': {
        if (actual === undefined) {
          out.push({
            code: 'CONFIG_REQUIRED',
            message: `missing required field "${String(path[path.length - 1])}"`,
            path: formatPath(path),
            location: loc.value(path.slice(0, -1)),
          });
        } else {
          out.push({
            code: 'CONFIG_TYPE',
            message: `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}, got ${describe(actual)}`,
            path: formatPath(path),
            location: loc.value(path),
          });
        }
        return;
      }
      case 'invalid_value': {
        const options = issue.values.map((v) => String(v));
        const near = typeof actual === 'string' ? suggest(actual, options) : undefined;
        out.push({
          code: 'CONFIG_VALUE',
          message: `must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}; got ${describe(actual)}`,
          path: formatPath(path),
          location: loc.value(path),
          hint: near ? `did you mean "${near}"?` : undefined,
        });
        return;
      }
      case 'invalid_union': {
        const branch = pickUnionBranch(issue as Issue & { errors?: Issue[][] }, actual);
        if (branch) {
          for (const sub of branch) visit(sub, path);
          return;
        }
        out.push({
          code: 'CONFIG_TYPE',
          message: `unexpected ${describe(actual)}`,
          path: formatPath(path),
          location: loc.value(path),
        });
        return;
      }
      case 'custom': {
        const code = (issue.params as { code?: string } | undefined)?.code ?? 'CONFIG_VALUE';
        out.push({ code, message: issue.message, path: formatPath(path), location: loc.value(path) });
        return;
      }
      case 'too_small': {
        const message =
          issue.origin === 'array'
            ? 'must not be empty'
            : issue.origin === 'string'
              ? 'must not be empty'
              : issue.inclusive === false
                ? `must be more than ${String(issue.minimum)}`
                : `must be at least ${String(issue.minimum)}`;
        out.push({ code: 'CONFIG_VALUE', message, path: formatPath(path), location: loc.value(path) });
        return;
      }
      case 'too_big':
        out.push({
          code: 'CONFIG_VALUE',
          message: issue.inclusive === false ? `must be less than ${String(issue.maximum)}` : `must be at most ${String(issue.maximum)}`,
          path: formatPath(path),
          location: loc.value(path),
        });
        return;
      default:
        out.push({ code: 'CONFIG_VALUE', message: issue.message, path: formatPath(path), location: loc.value(path) });
    }
  };
  for (const issue of issues) visit(issue, []);
  return out;
}

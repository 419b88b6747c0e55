/**
 * `probes:` — HTTP requests to the gate's services after its command ran, one check per
 * expectation (status, body, JSON paths, headers, latency), optionally until a steady state holds.
 * The requests themselves are in `probe-http.ts`; rollback and publish steps use them too.
 */
import { z } from 'zod';
import { duration, url } from '../config/fields.js';
import { interpolateProbe } from '../config/interpolate.js';
import type { FieldPath } from '../config/locate.js';
import type { HttpMethod, ProbeConfig } from '../config/types.js';
import { parseDuration } from '../config/values.js';
import type { Check } from '../model/types.js';
import { defineCheckKind, nonEmptyList, type CheckContext, type RuleContext } from './kind.js';
import { runProbe } from './probe-http.js';

export const PROBE_METHODS = ['get', 'post', 'put', 'delete', 'head'] as const;

export const probeSchema = z
  .strictObject({
    get: url.optional(),
    post: url.optional(),
    put: url.optional(),
    delete: url.optional(),
    head: url.optional(),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional().meta({
      description: 'Request body; an object or array is sent as JSON',
    }),
    status: z.union([z.number().int(), z.array(z.number().int()).min(1)]).optional().meta({
      description: 'Expected status code(s); default any 2xx',
    }),
    'body-contains': z.union([z.string(), z.array(z.string())]).optional(),
    'body-matches': z.union([z.string(), z.array(z.string())]).optional().meta({ description: 'Regular expression(s)' }),
    json: z.record(z.string(), z.unknown()).optional().meta({
      description: 'JSON path (data.items[0].id) → expected value',
    }),
    header: z.record(z.string(), z.string()).optional().meta({
      description: 'Header name → expected value, or /regex/',
    }),
    'max-latency': duration.optional(),
    consecutive: z.number().int().min(1).max(1000).optional().meta({
      description: 'Pass only after this many successes in a row (steady state, not one lucky answer)',
    }),
    'min-duration': duration.optional().meta({ description: 'Pass only after succeeding for at least this long' }),
    retry: z
      .union([
        duration,
        z.strictObject({ deadline: duration, interval: duration.optional() }),
      ])
      .optional()
      .meta({ description: 'Retry until it passes or this deadline passes' }),
  })
  .refine((p) => PROBE_METHODS.filter((m) => p[m] !== undefined).length === 1, {
    message: 'a probe needs exactly one of get, post, put, delete, head: URL',
    params: { code: 'CONFIG_VALUE' },
  });

export type UserProbe = z.input<typeof probeSchema>;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const ms = (d: string | undefined): number | undefined => (d === undefined ? undefined : parseDuration(d));
const stringOrList = (v: unknown, path: FieldPath): [string, FieldPath][] =>
  typeof v === 'string' ? [[v, path]] : Array.isArray(v) ? v.flatMap((x, i): [string, FieldPath][] => (typeof x === 'string' ? [[x, [...path, i]]] : [])) : [];

export function normalizeProbe(p: UserProbe): ProbeConfig {
  const method = PROBE_METHODS.find((m) => p[m] !== undefined)!;
  const body = p.body === undefined ? undefined : typeof p.body === 'string' ? p.body : JSON.stringify(p.body);
  const headers = Object.fromEntries(Object.entries(p.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  if (body !== undefined && typeof p.body !== 'string' && !('content-type' in headers)) headers['content-type'] = 'application/json';
  const retry =
    p.retry === undefined
      ? undefined
      : typeof p.retry === 'string'
        ? { deadlineMs: ms(p.retry)!, intervalMs: 500 }
        : { deadlineMs: ms(p.retry.deadline)!, intervalMs: ms(p.retry.interval) ?? 500 };
  return {
    method: method.toUpperCase() as HttpMethod,
    url: p[method]!,
    headers,
    body,
    status: p.status === undefined ? undefined : list(p.status),
    bodyContains: list(p['body-contains']),
    bodyMatches: list(p['body-matches']),
    json: p.json ?? {},
    header: Object.fromEntries(Object.entries(p.header ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    maxLatencyMs: ms(p['max-latency']),
    retry,
    consecutive: p.consecutive ?? 1,
    minDurationMs: ms(p['min-duration']),
  };
}

/** The rules of one probe (in a gate, a rollback step or a publish step), on the raw value. */
export function probeRules(p: unknown, path: FieldPath, ctx: RuleContext): void {
  if (!isObj(p)) return;
  for (const method of PROBE_METHODS) {
    const target = p[method];
    if (typeof target !== 'string') continue;
    ctx.checkVars(target, [...path, method]);
    ctx.checkUrl(target, [...path, method]);
  }
  for (const [re, at] of stringOrList(p['body-matches'], [...path, 'body-matches'])) ctx.checkRegex(re, at);
  for (const [name, expected] of Object.entries(isObj(p.header) ? p.header : {})) {
    if (typeof expected === 'string' && /^\/.*\/[a-z]*$/s.test(expected)) ctx.checkRegex(expected, [...path, 'header', name]);
  }
  for (const [name, value] of Object.entries(isObj(p.headers) ? p.headers : {})) ctx.checkVars(value, [...path, 'headers', name]);
  ctx.checkVars(p.body, [...path, 'body']);
}

/** Nobody but the gate's own services may be listening where the probes point. */
async function foreign(probes: ProbeConfig[], ctx: CheckContext, when: 'before the gate' | 'at probe time'): Promise<Check[]> {
  for (const p of probes) {
    const found = await ctx.foreignListener(p.url, when);
    if (found) return [found];
  }
  return [];
}

export const probesKind = defineCheckKind<UserProbe[], ProbeConfig[], 'probes'>({
  key: 'probes',
  schema: z.array(probeSchema),
  present: nonEmptyList,
  yieldsMetrics: false,
  normalize: (user) => user.map(normalizeProbe),
  rules(raw, at, ctx) {
    if (Array.isArray(raw)) raw.forEach((p, i) => probeRules(p, [...at, i], ctx));
  },
  interpolate: (probes, vars) => probes.map((p) => interpolateProbe(p, vars)),
  preflight: (probes, ctx) => foreign(probes, ctx, 'before the gate'),
  async run(probes, ctx) {
    const checks: Check[] = [];
    for (const probe of probes) {
      if (ctx.signal.aborted) break;
      try {
        const found = await ctx.foreignListener(probe.url, 'at probe time');
        checks.push(...(found ? [found] : await runProbe(probe, { signal: ctx.signal })));
      } catch (e) {
        checks.push({ check: `${probe.method} ${probe.url}`, expected: 'probe runs', actual: (e as Error).message, ok: false });
      }
    }
    return { checks };
  },
});

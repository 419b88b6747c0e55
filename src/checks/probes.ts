/**
 * `probes:` — HTTP requests to the gate's services after its command ran, one check per
 * expectation (status, body, JSON paths, headers, latency), optionally until a steady state holds.
 * The requests themselves are in `probe-http.ts`; rollback and publish steps use them too.
 */
import { z } from 'zod';
import { deferred, once } from '../config/deferred.js';
import { duration, url } from '../config/fields.js';
import { interpolateProbe } from '../config/interpolate.js';
import type { FieldPath } from '../config/locate.js';
import type { HttpMethod, ProbeConfig } from '../config/types.js';
import { parseDuration } from '../config/values.js';
import type { Check } from '../model/types.js';
import { defineCheckKind, nonEmptyList, type CheckContext, type RuleContext } from './kind.js';
import { runProbe } from './probe-http.js';
import { formatDuration } from '../util/duration-format.js';

export const PROBE_METHODS = ['get', 'post', 'put', 'delete', 'head'] as const;

const probeShape = once(() => ({
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
}));

const oneMethod = [
  (p: Partial<Record<(typeof PROBE_METHODS)[number], unknown>>) => PROBE_METHODS.filter((m) => p[m] !== undefined).length === 1,
  { message: 'a probe needs exactly one of get, post, put, delete, head: URL', params: { code: 'CONFIG_VALUE' } },
] as const;

/** A probe as rollback and publish steps write it. */
export const probeSchema = deferred(() =>
  z.strictObject(probeShape()).refine(...oneMethod)
);

/** A gate's probe: the same, optionally bound to a phase of the gate's chaos timeline (`faults:`). */
export const gateProbeSchema = deferred(() =>
  z
    .strictObject({
      ...probeShape(),
      during: z.literal('fault').optional().meta({ description: 'Run while the gate\'s faults are in effect (waits for them; fails if they never happen)' }),
      after: z.literal('recovery').optional().meta({ description: 'Run once every faulted service is back (fails if that never happens)' }),
      within: duration.optional().meta({ description: 'With `after: recovery`: poll until the probe passes, for at most this long (`metric.chaos.recovery`)' }),
    })
    .refine(...oneMethod)
);

export type UserProbe = z.input<typeof probeSchema>;
export type UserGateProbe = z.input<typeof gateProbeSchema>;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const ms = (d: string | undefined): number | undefined => (d === undefined ? undefined : parseDuration(d));
const stringOrList = (v: unknown, path: FieldPath): [string, FieldPath][] =>
  typeof v === 'string' ? [[v, path]] : Array.isArray(v) ? v.flatMap((x, i): [string, FieldPath][] => (typeof x === 'string' ? [[x, [...path, i]]] : [])) : [];

export function normalizeGateProbe(p: UserGateProbe): ProbeConfig {
  const { during, after, within, ...plain } = p;
  const probe = normalizeProbe(plain);
  if (during) probe.phase = 'fault';
  if (after) probe.phase = 'recovery';
  if (within !== undefined) probe.withinMs = ms(within);
  return probe;
}

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

/** Rules of a gate's probe: those of every probe, and its phase binding. */
function gateProbeRules(p: unknown, path: FieldPath, ctx: RuleContext): void {
  probeRules(p, path, ctx);
  if (!isObj(p)) return;
  if (p.during !== undefined && p.after !== undefined) {
    ctx.push('CONFIG_VALUE', 'a probe runs in one phase: `during: fault` or `after: recovery`, not both', [...path, 'after']);
  }
  if ((p.during !== undefined || p.after !== undefined) && !nonEmptyList(ctx.gate.faults)) {
    const key = p.during !== undefined ? 'during' : 'after';
    ctx.push('CONFIG_VALUE', `a probe bound to a phase (\`${key}\`) needs the gate's \`faults:\`, and this gate has none`, [...path, key], 'add `faults:` to the gate, or remove the phase');
  }
  // Only kill and restart may go without `for` (the others are told they need it).
  const faults = Array.isArray(ctx.gate.faults) ? ctx.gate.faults : [];
  if (p.during !== undefined && faults.length > 0 && faults.every((f) => isObj(f) && f.for === undefined && (f.action === 'kill' || f.action === 'restart'))) {
    ctx.push('CONFIG_VALUE', 'none of the gate\'s faults lasts (`for`): there is no time to probe during them', [...path, 'during'], 'give a fault `for`, e.g. `action: stop, for: 5s`, or probe `after: recovery`');
  }
  if (p.within !== undefined && p.after !== 'recovery') {
    ctx.push('CONFIG_VALUE', '`within` only applies to a probe with `after: recovery`', [...path, 'within'], 'for other probes use `retry`');
  }
  if (p.within !== undefined && p.retry !== undefined) {
    ctx.push('CONFIG_VALUE', 'a recovery probe polls for `within`; it cannot also have `retry`', [...path, 'retry']);
  }
}

/** When the phase never came, or a `during: fault` probe was answered after the fault: one failing check. */
function phaseCheck(probe: ProbeConfig, expected: string, actual: string): Check {
  return { check: `${probe.method} ${probe.url} ${probe.phase === 'fault' ? 'during the fault' : 'after recovery'}`, expected, actual, ok: false };
}

/**
 * A probe bound to a phase: wait for the phase, then probe. During the fault, retries stop at the
 * fault's planned end and an answer that came after the fault was undone does not count. After
 * recovery, `within` polls until the probe passes; the time it took is the recovery time.
 */
async function runPhaseProbe(probe: ProbeConfig, ctx: CheckContext): Promise<{ checks: Check[]; recoveryMs?: number }> {
  const phase = probe.phase!;
  const reached = await ctx.chaos.reached(phase, ctx.signal);
  if ('never' in reached) return { checks: [phaseCheck(probe, phase === 'fault' ? 'runs while the fault is in effect' : 'runs after recovery', `the ${phase} phase never happened: ${reached.never}`)] };
  if (phase === 'fault') {
    const left = (ctx.chaos.plannedFaultEndMs ?? Date.now()) - Date.now();
    const bounded = probe.retry ? { ...probe, retry: { ...probe.retry, deadlineMs: Math.max(0, Math.min(probe.retry.deadlineMs, left)) } } : probe;
    const checks = await runProbe(bounded, { signal: ctx.signal });
    if (!ctx.chaos.inFault()) return { checks: [...checks, phaseCheck(probe, 'answered while the fault was in effect', 'the fault was undone before the probe had its answer; lengthen `for`')] };
    return { checks };
  }
  const polled = probe.withinMs !== undefined ? { ...probe, retry: { deadlineMs: probe.withinMs, intervalMs: 250 } } : probe;
  const checks = await runProbe(polled, { signal: ctx.signal });
  const tookMs = Date.now() - reached.atMs;
  if (!checks.every((c) => c.ok)) {
    const within = probe.withinMs !== undefined ? `within ${formatDuration(probe.withinMs)} ` : '';
    return { checks: [...checks, phaseCheck(probe, `passes ${within}after the faulted services are back`, `recovery did not happen ${within}after they came back`)] };
  }
  ctx.chaos.record(`${probe.method} ${probe.url} passed ${formatDuration(tookMs)} after recovery`);
  return { checks, recoveryMs: tookMs };
}

/** Nobody but the gate's own services may be listening where the probes point. */
async function foreign(probes: ProbeConfig[], ctx: CheckContext, when: 'before the gate' | 'at probe time'): Promise<Check[]> {
  for (const p of probes) {
    const found = await ctx.foreignListener(p.url, when);
    if (found) return [found];
  }
  return [];
}

export const probesKind = defineCheckKind<UserGateProbe[], ProbeConfig[], 'probes'>({
  key: 'probes',
  schema: z.array(gateProbeSchema),
  present: nonEmptyList,
  yieldsMetrics: false,
  normalize: (user) => user.map(normalizeGateProbe),
  rules(raw, at, ctx) {
    if (Array.isArray(raw)) raw.forEach((p, i) => gateProbeRules(p, [...at, i], ctx));
  },
  interpolate: (probes, vars) => probes.map((p) => interpolateProbe(p, vars)),
  preflight: (probes, ctx) => foreign(probes, ctx, 'before the gate'),
  async run(probes, ctx) {
    const checks: Check[] = [];
    const recoveries: number[] = [];
    for (const probe of probes) {
      if (ctx.signal.aborted) break;
      try {
        if (probe.phase) {
          const res = await runPhaseProbe(probe, ctx);
          if (res.recoveryMs !== undefined) recoveries.push(res.recoveryMs);
          // Who answers is checked after the wait: the phase may have restarted a service.
          const found = await ctx.foreignListener(probe.url, 'at probe time');
          checks.push(...res.checks, ...(found ? [found] : []));
          continue;
        }
        const found = await ctx.foreignListener(probe.url, 'at probe time');
        checks.push(...(found ? [found] : await runProbe(probe, { signal: ctx.signal })));
      } catch (e) {
        checks.push({ check: `${probe.method} ${probe.url}`, expected: 'probe runs', actual: (e as Error).message, ok: false });
      }
    }
    // The slowest recovery probe says when the service had recovered for all of them.
    return { checks, ...(recoveries.length ? { metrics: [{ name: 'metric.chaos.recovery', value: Math.max(...recoveries), unit: 'ms' }] } : {}) };
  },
});

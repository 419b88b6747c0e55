/**
 * `slos:` — service level objectives and their error budgets, judged from Prometheus.
 *
 * Two kinds of SLO:
 * - ratio: `good` (or `bad`) and `total` name counters; the bad share of events over a window is
 *   `sum(increase(bad[w])) / sum(increase(total[w]))` (or `1 − good/total`).
 * - threshold: `query` answers one number over time (a p95 latency) and `max` is its limit; the bad
 *   share over a window is the share of the window's evaluation points above `max`
 *   (`avg_over_time(((query) > bool max)[w:step])`).
 *
 * Each SLO yields the budget left over its window (checked against `budget.min-remaining`) and a
 * burn rate per alerting window, checked in long/short pairs (see slo-math.ts). A release labelled
 * with the budget's `fix-label` (`shipgate run --label fix`) is let through a spent budget or a fast
 * burn with a warning: it is the release that stops the burn. No data — no series, NaN, fewer
 * events than `min-events` — is never a pass.
 *
 * Top-level `slos:` (with `budget:` as every SLO's default policy) becomes a gate `slos` of its own;
 * a gate may also carry `slos:` itself, e.g. to judge them after its deploy step.
 */
import { z } from 'zod';
import { deferred } from '../config/deferred.js';
import { duration, percent, span, url } from '../config/fields.js';
import type { FieldPath } from '../config/locate.js';
import { interpolateQuery, interpolateText } from '../config/interpolate.js';
import { formatNumber, fromCanonical, isKnownUnit, parseQuantity, type ParsedQuantity } from '../config/units.js';
import { parseDuration } from '../config/values.js';
import type { Metric } from '../model/evidence.js';
import type { Check } from '../model/types.js';
import { defineCheckKind, type CheckContext, type KeptEvidence, type RuleContext } from './kind.js';
import { keptBody, queryPrometheus } from './prometheus-api.js';
import { judgeAnswer, type OnNoData } from './prometheus-judge.js';
import { SAFE_IN_QUERY } from './prometheus.js';
import { budgetRemaining, burnRate, burnWindows, DEFAULT_BURN_PAIRS, judgeBurnPair, promDuration, type BurnPair } from './slo-math.js';

/** A counter selector: `name` or `name{label="v",…}` — wrapped in increase() by shipgate. */
const SELECTOR_RE = /^\s*[A-Za-z_:][A-Za-z0-9_:]*\s*(\{[^{}]*\})?\s*$/;
const LABEL_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const DEFAULT_WINDOW_MS = 30 * 86_400_000;
const DEFAULT_THRESHOLD_OBJECTIVE = 0.99;
const DEFAULT_TIMEOUT_MS = 10_000;
/** Threshold SLOs: about this many evaluation points per window, at least MIN_STEP_MS apart. */
const STEP_POINTS = 1000;
const MIN_STEP_MS = 10_000;
const KEPT_BODY_CHARS = 16 * 1024;

const burnPairSchema = deferred(() =>
  z.strictObject({
    long: span.meta({ description: 'The long window: the burn has lasted (e.g. 1h)' }),
    short: span.meta({ description: 'The short window: the burn goes on now (e.g. 5m)' }),
    max: z.number().positive().meta({ description: 'Fails when both windows burn faster than this many times the sustainable rate (e.g. 14.4)' }),
  })
);

export const budgetPolicySchema = deferred(() =>
  z
    .strictObject({
      'min-remaining': percent.optional().meta({ description: 'Block the release when less of the error budget is left (default 0%: only a spent budget blocks)' }),
      'burn-rates': z.union([z.literal(false), z.array(burnPairSchema)]).optional().meta({
        description: 'Multi-window burn-rate checks (default: 14.4× over 1h and 5m, 6× over 6h and 30m, 1× over 3d and 6h); false for none',
      }),
      'fix-label': z.string().regex(LABEL_RE, 'a label: letters, digits, . _ -').optional().meta({
        description: 'A release run with `--label NAME` is let through a spent budget or a fast burn, with a warning (it is the fix)',
      }),
    })
    .meta({ description: 'Error-budget policy' })
);

const sloSchema = deferred(() =>
  z
    .strictObject({
      prometheus: url.meta({ description: 'Base URL of the Prometheus HTTP API' }),
      good: z.string().min(1).optional().meta({ description: 'Ratio SLO: counter selector of good events, e.g. http_requests_total{code!~"5.."}' }),
      bad: z.string().min(1).optional().meta({ description: 'Ratio SLO: counter selector of bad events (instead of good; a selector that matches nothing reads as no bad events)' }),
      total: z.string().min(1).optional().meta({ description: 'Ratio SLO: counter selector of all events, e.g. http_requests_total' }),
      query: z.string().min(1).optional().meta({ description: 'Threshold SLO: PromQL answering one number over time, e.g. a p95 latency' }),
      max: z.union([z.string(), z.number()]).optional().meta({ description: 'Threshold SLO: the limit, e.g. 200ms (the query answers in `unit`)' }),
      unit: z.string().optional().meta({ description: 'Threshold SLO: the unit the query answers in (default s for a time limit)' }),
      objective: percent.optional().meta({ description: 'The share of good events (ratio) or of points within max (threshold), e.g. 99.9% (threshold default 99%)' }),
      window: span.optional().meta({ description: 'The SLO window (default 30d)' }),
      step: duration.optional().meta({ description: 'Threshold SLO: evaluation step (default window/1000, at least 10s)' }),
      'min-events': z.number().int().min(1).optional().meta({ description: 'Ratio SLO: fewer events than this over the window is no data (default 1)' }),
      'on-no-data': z.enum(['fail', 'warn', 'pass']).optional().meta({ description: 'When a window has no data: fail (default), warn, or pass (still reported)' }),
      timeout: duration.optional(),
      headers: z.record(z.string(), z.string()).optional(),
      budget: budgetPolicySchema.optional(),
    })
    .meta({ description: 'One SLO: good/bad and total counters, or a query and its max' })
);

export const slosSchema = deferred(() =>
  z.record(z.string().regex(LABEL_RE, 'ids use letters, digits, . _ -'), sloSchema).meta({ description: 'Service level objectives and their error budgets, judged from Prometheus' })
);

export type UserSlos = z.input<typeof slosSchema>;
export type UserBudgetPolicy = z.input<typeof budgetPolicySchema>;

interface SloBase {
  id: string;
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  objective: number;
  windowMs: number;
  onNoData: OnNoData;
  minRemaining: number;
  pairs: BurnPair[];
  fixLabel?: string;
}
export type SloSpec =
  | (SloBase & { kind: 'ratio'; good?: string; bad?: string; total: string; minEvents: number })
  | (SloBase & { kind: 'threshold'; query: string; max: number; shownMax: string; stepMs?: number });

export interface SlosConfig {
  slos: SloSpec[];
}

/** `99.9%` as 0.999 (rounded to 15 digits: 99.9 / 100 is 0.9990000000000001 in floating point). */
const ratio = (p: string | number | undefined): number | undefined =>
  p === undefined ? undefined : Number(((typeof p === 'number' ? p : Number(p.replace('%', ''))) / 100).toPrecision(15));

function pairsOf(b: UserBudgetPolicy | undefined): BurnPair[] {
  const r = b?.['burn-rates'];
  if (r === false) return [];
  if (r === undefined) return [...DEFAULT_BURN_PAIRS];
  return r.map((p) => ({ longMs: parseDuration(p.long)!, shortMs: parseDuration(p.short)!, factor: p.max }));
}

/** The limit in the query's own units (a time limit defaults to seconds, Prometheus' base unit). */
function thresholdMax(max: string | number, unit: string | undefined): { value: number; shown: string } | undefined {
  const q: ParsedQuantity = typeof max === 'number' ? { ok: true, value: max } : parseQuantity(max);
  if (!q.ok) return undefined;
  const inUnit = unit ?? (q.unit === 'ms' ? 's' : undefined);
  if (q.unit !== undefined && inUnit === undefined) return undefined;
  return { value: q.unit !== undefined && inUnit !== undefined ? fromCanonical(q.value, inUnit) : q.value, shown: String(max) };
}

/** Every SLO with its budget policy: the SLO's own, over the project's `budget:`, over the defaults. */
export function normalizeSlos(user: UserSlos, defaults?: UserBudgetPolicy): SlosConfig {
  const slos = Object.entries(user).map(([id, s]): SloSpec => {
    const b = { ...defaults, ...s.budget };
    const base: SloBase = {
      id,
      url: s.prometheus,
      headers: Object.fromEntries(Object.entries(s.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
      timeoutMs: s.timeout ? parseDuration(s.timeout)! : DEFAULT_TIMEOUT_MS,
      objective: ratio(s.objective) ?? DEFAULT_THRESHOLD_OBJECTIVE,
      windowMs: s.window ? parseDuration(s.window)! : DEFAULT_WINDOW_MS,
      onNoData: s['on-no-data'] ?? 'fail',
      minRemaining: ratio(b['min-remaining']) ?? 0,
      pairs: pairsOf(b),
      ...(b['fix-label'] ? { fixLabel: b['fix-label'] } : {}),
    };
    if (s.query !== undefined) {
      const max = thresholdMax(s.max!, s.unit)!;
      return { ...base, kind: 'threshold', query: s.query, max: max.value, shownMax: max.shown, ...(s.step ? { stepMs: parseDuration(s.step)! } : {}) };
    }
    return { ...base, kind: 'ratio', ...(s.good ? { good: s.good } : { bad: s.bad! }), total: s.total!, minEvents: s['min-events'] ?? 1 };
  });
  return { slos };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The rules a schema cannot say, for `slos:` at `at` (top level or in a gate). */
export function sloRules(raw: unknown, at: FieldPath, ctx: RuleContext): void {
  if (!isObj(raw)) return;
  const entries = Object.entries(raw);
  if (entries.length === 0) ctx.push('CONFIG_VALUE', 'no SLOs: `slos:` needs at least one', at, 'e.g. availability: { prometheus: URL, good: SELECTOR, total: SELECTOR, objective: 99.9% }');
  for (const [id, s] of entries) {
    if (!isObj(s)) continue;
    const here = [...at, id];
    if (typeof s.prometheus === 'string') {
      ctx.checkVars(s.prometheus, [...here, 'prometheus']);
      ctx.checkUrl(s.prometheus, [...here, 'prometheus']);
    }
    const ratioKeys = ['good', 'bad', 'total', 'min-events'].filter((k) => s[k] !== undefined);
    const thresholdKeys = ['query', 'max', 'unit', 'step'].filter((k) => s[k] !== undefined);
    if (ratioKeys.length && thresholdKeys.length) {
      ctx.push('CONFIG_VALUE', `SLO "${id}" mixes a ratio (${ratioKeys.join(', ')}) and a threshold (${thresholdKeys.join(', ')})`, [...here, thresholdKeys[0]!], 'a ratio SLO has good (or bad) and total; a threshold SLO has query and max');
      continue;
    }
    if (thresholdKeys.length) {
      if (s.query === undefined) ctx.push('CONFIG_VALUE', `SLO "${id}" has no \`query\``, here, 'a threshold SLO needs query and max');
      if (s.max === undefined) ctx.push('CONFIG_VALUE', `SLO "${id}" has no \`max\``, here, 'e.g. max: 200ms');
      if (typeof s.unit === 'string' && !isKnownUnit(s.unit)) ctx.push('CONFIG_VALUE', `unknown unit ${JSON.stringify(s.unit)}`, [...here, 'unit'], 'write s, ms, B, % …');
      else if ((typeof s.max === 'string' || typeof s.max === 'number') && thresholdMax(s.max, typeof s.unit === 'string' ? s.unit : undefined) === undefined) {
        ctx.push('CONFIG_VALUE', `max ${JSON.stringify(s.max)} is not a limit the query's unit can be compared with`, [...here, 'max'], 'write a number with a unit (200ms) and, unless the query answers in seconds, its `unit`');
      }
      ctx.checkVars(s.query, [...here, 'query']);
    } else {
      if (s.total === undefined) ctx.push('CONFIG_VALUE', `SLO "${id}" has no \`total\``, here, 'a ratio SLO needs good (or bad) and total counters; a threshold SLO needs query and max');
      if ((s.good === undefined) === (s.bad === undefined)) ctx.push('CONFIG_VALUE', `SLO "${id}" needs exactly one of \`good\` and \`bad\``, here, 'good counts the events that met the objective, bad those that did not');
      if (s.objective === undefined) ctx.push('CONFIG_VALUE', `SLO "${id}" has no \`objective\``, here, 'e.g. objective: 99.9%');
      for (const k of ['good', 'bad', 'total']) {
        if (typeof s[k] !== 'string') continue;
        if (!SELECTOR_RE.test((s[k] as string).replace(/\$\{[^}]*\}/g, 'x'))) ctx.push('CONFIG_VALUE', `\`${k}\` must be a counter selector, not an expression`, [...here, k], 'write name{label="value"}: shipgate takes sum(increase(…)) over each window');
        ctx.checkVars(s[k], [...here, k]);
      }
    }
    const objective = ratio(s.objective as string | number | undefined);
    if (objective !== undefined && !(objective > 0 && objective < 1)) {
      ctx.push('CONFIG_VALUE', `objective ${JSON.stringify(s.objective)} leaves no error budget`, [...here, 'objective'], 'an objective is above 0% and below 100%, e.g. 99.9%');
    }
    if (isObj(s.budget)) budgetRules(s.budget, [...here, 'budget'], ctx);
  }
}

export function budgetRules(b: Obj, at: FieldPath, ctx: RuleContext): void {
  const min = ratio(b['min-remaining'] as string | number | undefined);
  if (min !== undefined && min > 1) ctx.push('CONFIG_VALUE', '`min-remaining` is at most 100%', [...at, 'min-remaining']);
  if (Array.isArray(b['burn-rates'])) {
    b['burn-rates'].forEach((p, i) => {
      if (!isObj(p) || typeof p.long !== 'string' || typeof p.short !== 'string') return;
      const [l, s] = [parseDuration(p.long), parseDuration(p.short)];
      if (l !== undefined && s !== undefined && s >= l) ctx.push('CONFIG_VALUE', 'the short window must be shorter than the long one', [...at, 'burn-rates', i, 'short']);
    });
  }
}

/** The bad share of events over one window, as one PromQL expression. */
export function badShareQuery(s: SloSpec, windowMs: number): string {
  const w = promDuration(windowMs);
  if (s.kind === 'threshold') {
    const step = promDuration(s.stepMs ?? Math.max(MIN_STEP_MS, windowMs / STEP_POINTS));
    return `avg_over_time(((${s.query}) > bool ${s.max})[${w}:${step}])`;
  }
  const inc = (sel: string) => `sum(increase(${sel.trim()}[${w}]))`;
  // A selector with no series counts zero events, but only while total has data (never a silent
  // zero): no bad series is no error yet; no good series (every answer a 5xx, or a selector that
  // matches nothing) is every event bad, the whole budget spent, not "no data".
  const orZero = (sel: string) => `(${inc(sel)} or on() (0 * ${inc(s.total)}))`;
  return s.good !== undefined ? `1 - (${orZero(s.good)} / ${inc(s.total)})` : `${orZero(s.bad!)} / ${inc(s.total)}`;
}

/** How many events (ratio) or evaluation points (threshold) the SLO window holds. */
function volumeQuery(s: SloSpec): string {
  const w = promDuration(s.windowMs);
  if (s.kind === 'ratio') return `sum(increase(${s.total.trim()}[${w}]))`;
  const step = promDuration(s.stepMs ?? Math.max(MIN_STEP_MS, s.windowMs / STEP_POINTS));
  return `count_over_time((${s.query})[${w}:${step}])`;
}

const pctText = (r: number) => `${formatNumber(r * 100)}%`;
const rateText = (r: number) => `${formatNumber(r)}×`;

interface Asked {
  value?: number;
  failure?: Check;
  record: Obj;
}

async function ask(s: SloSpec, name: string, query: string, ctx: CheckContext, nowMs: number): Promise<Asked> {
  const answer = await queryPrometheus({ baseUrl: s.url, query, headers: s.headers, timeoutMs: s.timeoutMs, signal: ctx.signal, endMs: nowMs });
  const judged = judgeAnswer({ name, query, range: false, reduce: 'last', minSamples: 1, onNoData: s.onNoData, onWarning: 'fail' }, answer);
  const record: Obj = {
    name,
    query,
    status: answer.status ?? null,
    ...(answer.error ? { error: answer.error } : {}),
    value: judged.metric?.value ?? null,
    response: keptBody(answer.body, KEPT_BODY_CHARS),
  };
  const check = { ...judged.check, check: `slo ${s.id}: ${name}` };
  if (judged.metric) return { value: judged.metric.value, record, ...(check.ok ? {} : { failure: check }) };
  return { failure: check, record };
}

/** A failing check a `fix` release is let through: kept as a warning that says why. */
function excused(check: Check, s: SloSpec, labels: readonly string[]): Check {
  if (check.ok || s.fixLabel === undefined || !labels.includes(s.fixLabel)) return check;
  return { ...check, severity: 'warn', message: `${check.message ?? check.check} — let through: this release is labelled \`${s.fixLabel}\` (budget fix-label)` };
}

async function judgeSlo(s: SloSpec, ctx: CheckContext): Promise<{ checks: Check[]; metrics: Metric[]; evidence: KeptEvidence }> {
  const nowMs = Date.now();
  const checks: Check[] = [];
  const metrics: Metric[] = [];
  const records: Obj[] = [];
  const what = s.kind === 'ratio' ? 'events' : 'evaluation points';

  const volume = await ask(s, `${what} in ${promDuration(s.windowMs)}`, volumeQuery(s), ctx, nowMs);
  records.push(volume.record);
  const floor = s.kind === 'ratio' ? s.minEvents : 1;
  let haveVolume = volume.failure === undefined && volume.value !== undefined;
  if (volume.failure) checks.push(volume.failure);
  else if (volume.value !== undefined && volume.value < floor) {
    haveVolume = false;
    const noData: Check = {
      check: `slo ${s.id}: ${what} in ${promDuration(s.windowMs)}`,
      expected: `at least ${floor}`,
      actual: formatNumber(volume.value),
      ok: s.onNoData === 'pass',
      ...(s.onNoData === 'fail' ? {} : { severity: 'warn' as const }),
      message: `too little traffic to judge the SLO (min-events ${floor}); no data is never a pass (on-no-data: ${s.onNoData})`,
    };
    checks.push(noData);
  }

  const bad = new Map<number, number>();
  for (const w of [s.windowMs, ...burnWindows(s.pairs).filter((x) => x !== s.windowMs)]) {
    if (ctx.signal.aborted) break;
    const got = await ask(s, `bad share over ${promDuration(w)}`, badShareQuery(s, w), ctx, nowMs);
    records.push(got.record);
    if (got.failure) checks.push(got.failure);
    else if (got.value !== undefined) bad.set(w, Math.min(1, Math.max(0, got.value)));
  }

  const windowBad = bad.get(s.windowMs);
  const budgetName = `slo ${s.id}: error budget`;
  const expectedBudget = `at least ${pctText(s.minRemaining)} of the ${promDuration(s.windowMs)} budget left (objective ${pctText(s.objective)})`;
  if (windowBad !== undefined && haveVolume) {
    const remaining = budgetRemaining(windowBad, s.objective);
    metrics.push({ name: `metric.slo.${s.id}.sli`, value: (1 - windowBad) * 100, unit: '%', source: 'slo' });
    metrics.push({ name: `metric.slo.${s.id}.budget.remaining`, value: remaining * 100, unit: '%', source: 'slo' });
    const ok = remaining >= s.minRemaining;
    const actual = `${pctText(remaining)} left: ${pctText(windowBad)} bad of ${formatNumber(volume.value!)} ${what}, ${pctText(1 - s.objective)} allowed`;
    checks.push(
      excused(
        { check: budgetName, expected: expectedBudget, actual, ok, ...(ok ? {} : { message: remaining <= 0 ? 'the error budget is spent: only fixes should ship until it recovers' : `the error budget is below the policy's ${pctText(s.minRemaining)}: only fixes should ship` }) },
        s,
        ctx.labels ?? [],
      ),
    );
  } else {
    checks.push({ check: budgetName, expected: expectedBudget, actual: 'not measured: the SLO window has no data', ok: false, message: 'the budget cannot be judged without data; see the failing query above' });
  }

  for (const w of burnWindows(s.pairs)) {
    const b = bad.get(w);
    if (b !== undefined) metrics.push({ name: `metric.slo.${s.id}.burn.${promDuration(w)}`, value: burnRate(b, s.objective), source: 'slo' });
  }
  for (const pair of s.pairs) {
    const [l, sh] = [bad.get(pair.longMs), bad.get(pair.shortMs)];
    const name = `slo ${s.id}: burn rate ${promDuration(pair.longMs)}/${promDuration(pair.shortMs)}`;
    const expected = `not faster than ${rateText(pair.factor)} in both ${promDuration(pair.longMs)} and ${promDuration(pair.shortMs)}`;
    if (l === undefined || sh === undefined) {
      checks.push({ check: name, expected, actual: 'not measured: a window has no data', ok: false, message: 'the burn rate cannot be judged without data; see the failing query above' });
      continue;
    }
    const v = judgeBurnPair(pair, burnRate(l, s.objective), burnRate(sh, s.objective));
    const actual = `${promDuration(pair.longMs)} ${rateText(v.long)}, ${promDuration(pair.shortMs)} ${rateText(v.short)}`;
    checks.push(excused({ check: name, expected, actual, ok: !v.burning, ...(v.burning ? { message: `the budget is burning ${rateText(Math.min(v.long, v.short))} faster than it can be sustained, now and for ${promDuration(pair.longMs)}` } : {}) }, s, ctx.labels ?? []));
  }
  return { checks, metrics, evidence: { name: s.id, data: { kind: s.kind, objective: s.objective, window: promDuration(s.windowMs), at: new Date(nowMs).toISOString(), queries: records } } };
}

export const slosKind = defineCheckKind<UserSlos, SlosConfig, 'slos'>({
  key: 'slos',
  schema: slosSchema,
  present: (raw) => raw !== undefined,
  yieldsMetrics: true,
  normalize: (user) => normalizeSlos(user),
  rules: sloRules,
  interpolate: (cfg, vars) => ({
    slos: cfg.slos.map((s): SloSpec => {
      const q = (text: string) => interpolateQuery(text, vars, SAFE_IN_QUERY, 'PromQL');
      const base = { ...s, url: interpolateText(s.url, vars), headers: Object.fromEntries(Object.entries(s.headers).map(([k, v]) => [k, interpolateText(v, vars)])) };
      if (s.kind === 'threshold') return { ...base, kind: 'threshold', query: q(s.query) } as SloSpec;
      return { ...base, kind: 'ratio', total: q(s.total), ...(s.good !== undefined ? { good: q(s.good) } : {}), ...(s.bad !== undefined ? { bad: q(s.bad) } : {}) } as SloSpec;
    }),
  }),
  async run(cfg, ctx) {
    const checks: Check[] = [];
    const metrics: Metric[] = [];
    const evidence: KeptEvidence[] = [];
    for (const s of cfg.slos) {
      if (ctx.signal.aborted) break;
      const r = await judgeSlo(s, ctx);
      checks.push(...r.checks);
      metrics.push(...r.metrics);
      evidence.push(r.evidence);
    }
    return { checks, metrics, evidence };
  },
});

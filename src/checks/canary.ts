/**
 * `canary:` — is the new version worse than the old? Two samples, the baseline's and the
 * canary's, compared with a Mann-Whitney U test and a Hodges–Lehmann effect (canary-stats.ts):
 * fail when the canary is significantly worse AND the effect is beyond `max-increase`, or when its
 * error rate breaks `error-rate`; marginal when only one of the two holds; too few samples fail.
 *
 *   canary:
 *     baseline: "http://127.0.0.1:4100/api/items"     # or { url, method, headers, body }
 *     canary:   "http://127.0.0.1:4101/api/items"     # sampled one request at a time, alternating
 *     requests: 200          # per side (default 200), bounded by duration (default 60s)
 *     max-increase: 2x       # or 50% (default 1.2x)
 *     error-rate: "< 1%"     # the canary's non-2xx, errors and timeouts (default < 1%)
 *     load: { connections: 10, duration: 20s }   # instead: two load runs, each response a sample
 *   # or: prometheus: { url, baseline: PROMQL, canary: PROMQL, window, unit } — range queries
 *
 * Metrics: metric.canary.<signal>.{baseline,canary,shift,ratio} (signal: latency, ttfb or value),
 * metric.canary.p-value, metric.canary.samples, metric.canary.errors.{rate,total},
 * metric.canary.baseline.errors.rate — judged by `expect`, baselines and drift like any other.
 */
import { z } from 'zod';
import { deferred } from '../config/deferred.js';
import { duration, url } from '../config/fields.js';
import { interpolateQuery, interpolateText, type Vars } from '../config/interpolate.js';
import type { FieldPath } from '../config/locate.js';
import { isKnownUnit, toCanonical } from '../config/units.js';
import { parseDuration } from '../config/values.js';
import type { Metric } from '../model/evidence.js';
import type { Check } from '../model/types.js';
import { sampleHttp, type HttpSignal, type HttpTarget, type Sampled, type SideSamples } from './canary-http.js';
import { sampleUnderLoad, type CanaryLoad } from './canary-load.js';
import { samplePrometheus, type PromSource } from './canary-prometheus.js';
import { formatP, judgeCanary, type CanaryJudgement, type CanaryLimits } from './canary-stats.js';
import { defineCheckKind, type CheckContext, type RuleContext } from './kind.js';
import { checkRate, loadObject, normalizeShape } from './load.js';
import { parseWindow, SAFE_IN_QUERY } from './prometheus.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;
export const MAX_REQUESTS = 10_000;
const DEFAULTS = { requests: 200, warmup: 5, durationMs: 60_000, timeoutMs: 10_000, maxIncrease: 1.2, alpha: 0.05, minSamples: 20, errorRate: '< 1%' } as const;
const INCREASE_RE = /^(\d+(?:\.\d+)?)\s*(x|%)$/;
const ERROR_RATE_RE = /^(<=?)\s*(\d+(?:\.\d+)?)\s*%$/;

const targetSchema = deferred(() =>
  z.union([
    url,
    z.strictObject({
      url: url.meta({ description: 'Request URL' }),
      method: z.enum(METHODS).optional(),
      headers: z.record(z.string(), z.string()).optional(),
      body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional().meta({ description: 'An object or array is sent as JSON' }),
    }),
  ])
);

const promSourceSchema = deferred(() =>
  z.strictObject({
    url: url.meta({ description: 'Base URL of the Prometheus HTTP API, e.g. http://127.0.0.1:9090' }),
    baseline: z.string().min(1).meta({ description: 'PromQL for the baseline, one series: each point over the window is a sample' }),
    canary: z.string().min(1).meta({ description: 'PromQL for the canary, one series' }),
    window: z.string().optional().meta({ description: 'run (default), load (this gate\'s load phase), or a duration back from now (15m)' }),
    step: duration.optional().meta({ description: 'Resolution of the range queries (default: about 250 points over the window, at least 1s)' }),
    timeout: duration.optional().meta({ description: 'Each query: give up after this long (default 10s)' }),
    headers: z.record(z.string(), z.string()).optional(),
    unit: z.string().optional().meta({ description: 'The unit the queries answer in: s, ms, B, %… (seconds become ms)' }),
  })
);

export const canarySchema = deferred(() =>
  z.strictObject({
    baseline: targetSchema.optional().meta({ description: 'The old version: a URL, or { url, method, headers, body }' }),
    canary: targetSchema.optional().meta({ description: 'The new version, asked the same way' }),
    metric: z.enum(['latency', 'ttfb']).optional().meta({ description: 'HTTP: what is compared per request: latency (the whole answer, default) or ttfb (until the headers)' }),
    requests: z.number().int().min(1).max(MAX_REQUESTS).optional().meta({ description: 'HTTP: requests per side after the warm-up (default 200; with only `duration`, as many as fit, up to 10,000)' }),
    duration: duration.optional().meta({ description: 'HTTP: stop sampling after this long, whatever was recorded (default 60s)' }),
    warmup: z.number().int().min(0).max(1000).optional().meta({ description: 'HTTP: requests per side sent first and left out (default 5)' }),
    timeout: duration.optional().meta({ description: 'HTTP: a request unanswered this long is an error (default 10s)' }),
    prometheus: promSourceSchema.optional().meta({ description: 'Instead of HTTP sampling: two range queries, each point a sample' }),
    load: loadObject()
      .pick({ connections: true, rate: true, duration: true, warmup: true, timeout: true, inconclusive: true })
      .optional()
      .meta({ description: 'Instead of one request at a time: two load runs at the baseline and the canary (ABBA slices, `duration` for both together), each response a sample' }),
    'max-increase': z.union([z.string(), z.number()]).optional().meta({ description: 'The largest accepted effect: 2x, 1.5x or 50% (default 1.2x, i.e. +20%)' }),
    'error-rate': z.string().optional().meta({ description: 'HTTP: limit on the canary\'s error rate (non-2xx, errors, timeouts), e.g. "< 1%" (default)' }),
    alpha: z.number().gt(0).max(0.5).optional().meta({ description: 'Significance level of the one-sided Mann-Whitney test (default 0.05)' }),
    'min-samples': z.number().int().min(3).max(MAX_REQUESTS).optional().meta({ description: 'Fewer samples than this on either side fail (default 20)' }),
    'on-marginal': z.enum(['fail', 'warn', 'pass']).optional().meta({ description: 'Significant but within the limit, or beyond it but not significant: warn (default), fail or pass' }),
  })
);

export type UserCanary = z.input<typeof canarySchema>;
type UserTarget = z.input<typeof targetSchema>;

export type CanarySource =
  | { kind: 'http'; baseline: HttpTarget; canary: HttpTarget; signal: HttpSignal; requests: number; warmup: number; durationMs: number; timeoutMs: number }
  | { kind: 'load'; baseline: HttpTarget; canary: HttpTarget; load: CanaryLoad }
  | ({ kind: 'prometheus' } & PromSource);

export interface CanaryConfig {
  source: CanarySource;
  limits: CanaryLimits;
  onMarginal: 'fail' | 'warn' | 'pass';
}

/** `2x`, `1.5x` (a ratio), `50%` (an increase), or a bare number (a ratio); undefined when none of them. */
export function parseIncrease(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = INCREASE_RE.exec(v.trim());
  if (!m) return undefined;
  return m[2] === 'x' ? Number(m[1]) : 1 + Number(m[1]) / 100;
}

/** `< 1%`, `<= 0.5%` → operator and a fraction 0..1. */
export function parseErrorRate(v: unknown): { op: '<' | '<='; value: number } | undefined {
  const m = typeof v === 'string' ? ERROR_RATE_RE.exec(v.trim()) : null;
  if (!m || Number(m[2]) > 100) return undefined;
  return { op: m[1] as '<' | '<=', value: Number(m[2]) / 100 };
}

function toTarget(t: UserTarget): HttpTarget {
  const o = typeof t === 'string' ? { url: t } : t;
  const headers = Object.fromEntries(Object.entries(o.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const body = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
  if (body !== undefined && typeof o.body !== 'string' && !('content-type' in headers)) headers['content-type'] = 'application/json';
  return { url: o.url, method: o.method ?? (body === undefined ? 'GET' : 'POST'), headers, ...(body !== undefined ? { body } : {}) };
}

function normalize(u: UserCanary): CanaryConfig {
  const p = u.prometheus;
  const source: CanarySource = p
    ? {
        kind: 'prometheus',
        url: p.url,
        headers: Object.fromEntries(Object.entries(p.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
        baseline: p.baseline,
        canary: p.canary,
        window: parseWindow(p.window) ?? { kind: 'run' },
        ...(p.step ? { stepMs: parseDuration(p.step)! } : {}),
        timeoutMs: p.timeout ? parseDuration(p.timeout)! : DEFAULTS.timeoutMs,
        ...(p.unit ? { unit: p.unit } : {}),
      }
    : u.load
      ? {
          kind: 'load',
          baseline: toTarget(u.baseline!),
          canary: toTarget(u.canary!),
          load: normalizeShape(u.load, 20_000),
        }
      : {
        kind: 'http',
        baseline: toTarget(u.baseline!),
        canary: toTarget(u.canary!),
        signal: u.metric ?? 'latency',
        requests: u.requests ?? (u.duration ? MAX_REQUESTS : DEFAULTS.requests),
        warmup: u.warmup ?? DEFAULTS.warmup,
        durationMs: u.duration ? parseDuration(u.duration)! : DEFAULTS.durationMs,
        timeoutMs: u.timeout ? parseDuration(u.timeout)! : DEFAULTS.timeoutMs,
      };
  const errorRate = p ? undefined : parseErrorRate(u['error-rate'] ?? DEFAULTS.errorRate);
  return {
    source,
    limits: {
      maxIncrease: parseIncrease(u['max-increase'] ?? '') ?? DEFAULTS.maxIncrease,
      alpha: u.alpha ?? DEFAULTS.alpha,
      minSamples: u['min-samples'] ?? DEFAULTS.minSamples,
      ...(errorRate ? { errorRate } : {}),
    },
    onMarginal: u['on-marginal'] ?? 'warn',
  };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const HTTP_ONLY = ['metric', 'requests', 'duration', 'warmup', 'timeout', 'error-rate'] as const;
/** One request at a time only: under `load:` its own keys say how long and how hard. */
const SEQUENTIAL_ONLY = ['metric', 'requests', 'duration', 'warmup', 'timeout'] as const;

/** Rules across fields, on the raw value (see kind.ts). */
function rules(raw: unknown, at: FieldPath, ctx: RuleContext): void {
  if (!isObj(raw)) return;
  const http = raw.baseline !== undefined || raw.canary !== undefined;
  const prom = raw.prometheus !== undefined;
  if (http === prom) ctx.push('CONFIG_VALUE', 'a canary check compares two sources: `baseline` and `canary` URLs, or `prometheus` queries (exactly one of these)', at, 'give `baseline: URL` and `canary: URL`, or `prometheus: { url, baseline: PROMQL, canary: PROMQL }`');
  if (http && (raw.baseline === undefined || raw.canary === undefined)) ctx.push('CONFIG_VALUE', `a canary check needs both \`baseline\` and \`canary\`; \`${raw.baseline === undefined ? 'baseline' : 'canary'}\` is missing`, at, 'give the old version as `baseline` and the new one as `canary`');
  if (prom) for (const k of HTTP_ONLY) if (raw[k] !== undefined) ctx.push('CONFIG_VALUE', `\`${k}\` belongs to HTTP sampling, not to a prometheus source`, [...at, k], k === 'error-rate' ? 'judge the error ratio with a `prometheus:` check and `expect`' : `remove \`${k}\``);
  if (raw.load !== undefined) {
    if (prom) ctx.push('CONFIG_VALUE', '`load` samples the `baseline` and `canary` URLs, not a prometheus source', [...at, 'load'], 'remove `load`, or compare URLs instead of queries');
    for (const k of SEQUENTIAL_ONLY) {
      if (raw[k] === undefined) continue;
      const hint = k === 'metric' ? 'under load each response is one latency (the whole answer); remove `metric`' : k === 'requests' ? 'a load run is as long as its `duration`; remove `requests`' : `write it inside \`load:\` (load.${k})`;
      ctx.push('CONFIG_VALUE', `\`${k}\` belongs to one-request-at-a-time sampling, not to \`load\``, [...at, k], hint);
    }
    if (isObj(raw.load)) checkRate(raw.load.rate, [...at, 'load', 'rate'], ctx);
  }

  const urlOf = (t: unknown) => (typeof t === 'string' ? t : isObj(t) && typeof t.url === 'string' ? t.url : undefined);
  for (const side of ['baseline', 'canary'] as const) {
    const t = raw[side];
    const u = urlOf(t);
    if (u === undefined) continue;
    const path = typeof t === 'string' ? [...at, side] : [...at, side, 'url'];
    ctx.checkVars(u, path);
    ctx.checkUrl(u, path);
    const probe = u.replace(/\$\{[^}]*\}/g, '0');
    if (URL.canParse(probe) && !['http:', 'https:'].includes(new URL(probe).protocol)) ctx.push('CONFIG_VALUE', `not an HTTP URL: ${JSON.stringify(u)}`, path, 'write http://… or https://…');
    if (isObj(t)) {
      for (const [k, v] of Object.entries(isObj(t.headers) ? t.headers : {})) ctx.checkVars(v, [...at, side, 'headers', k]);
      ctx.checkVars(t.body, [...at, side, 'body']);
    }
  }
  const b = raw.baseline;
  const c = raw.canary;
  if (urlOf(b) !== undefined && urlOf(b) === urlOf(c) && (isObj(b) ? b.method : undefined) === (isObj(c) ? c.method : undefined)) {
    ctx.push('CONFIG_VALUE', 'the baseline and the canary are the same request: a service compared with itself always passes', [...at, 'canary'], 'point `canary` at the new version');
  }

  if (raw['max-increase'] !== undefined) {
    const r = parseIncrease(raw['max-increase']);
    if (r === undefined) ctx.push('CONFIG_VALUE', `not an increase: ${JSON.stringify(raw['max-increase'])}`, [...at, 'max-increase'], 'write a ratio such as 2x or 1.5x, or an increase such as 50%');
    else if (r < 1) ctx.push('CONFIG_VALUE', `max-increase ${JSON.stringify(raw['max-increase'])} is below 1x: it would block a canary that is faster`, [...at, 'max-increase'], 'write 1x for "no increase at all", or more');
  }
  if (raw['error-rate'] !== undefined && parseErrorRate(raw['error-rate']) === undefined) {
    ctx.push('CONFIG_VALUE', `not an error-rate limit: ${JSON.stringify(raw['error-rate'])}`, [...at, 'error-rate'], 'write "< 1%" or "<= 0.5%" (quoted: YAML reads < as text only inside quotes)');
  }
  const minSamples = typeof raw['min-samples'] === 'number' ? raw['min-samples'] : DEFAULTS.minSamples;
  // The requests sampling will ask for (see normalize): fewer than min-samples could only fail.
  const requests = typeof raw.requests === 'number' ? raw.requests : raw.duration !== undefined ? MAX_REQUESTS : DEFAULTS.requests;
  if (http && raw.load === undefined && requests >= 1 && requests < minSamples) {
    const said = typeof raw.requests === 'number' ? `requests ${requests}` : `the default of ${requests} requests`;
    ctx.push('CONFIG_VALUE', `${said} per side can never reach min-samples ${minSamples}: the check could only fail`, raw.requests !== undefined ? [...at, 'requests'] : [...at, 'min-samples'], `ask for at least ${minSamples} requests, or lower \`min-samples\``);
  }

  if (isObj(raw.prometheus)) {
    const p = raw.prometheus;
    const pat = [...at, 'prometheus'];
    if (typeof p.url === 'string') {
      ctx.checkVars(p.url, [...pat, 'url']);
      ctx.checkUrl(p.url, [...pat, 'url']);
    }
    ctx.checkVars(p.baseline, [...pat, 'baseline']);
    ctx.checkVars(p.canary, [...pat, 'canary']);
    for (const [k, v] of Object.entries(isObj(p.headers) ? p.headers : {})) ctx.checkVars(v, [...pat, 'headers', k]);
    if (typeof p.window === 'string' && parseWindow(p.window) === undefined) ctx.push('CONFIG_VALUE', `not a window: ${JSON.stringify(p.window)}`, [...pat, 'window'], 'write run, load, or a duration such as 15m');
    if (typeof p.unit === 'string' && p.unit !== '' && !isKnownUnit(p.unit)) ctx.push('CONFIG_VALUE', `unknown unit ${JSON.stringify(p.unit)}`, [...pat, 'unit'], 'write s, ms, B, KB, MB, % …');
    if (typeof p.baseline === 'string' && p.baseline === p.canary) ctx.push('CONFIG_VALUE', 'the baseline and the canary are the same query: a series compared with itself always passes', [...pat, 'canary'], 'select the new version in `canary` (e.g. by a version label)');
  }
}

const interpolateTarget = (t: HttpTarget, vars: Vars): HttpTarget => ({
  ...t,
  url: interpolateText(t.url, vars),
  headers: Object.fromEntries(Object.entries(t.headers).map(([k, v]) => [k, interpolateText(v, vars)])),
  ...(t.body !== undefined ? { body: interpolateText(t.body, vars) } : {}),
});

async function foreignTargets(cfg: CanaryConfig, ctx: CheckContext, when: 'before the gate' | 'at probe time'): Promise<Check[]> {
  if (cfg.source.kind === 'prometheus') return [];
  for (const t of [cfg.source.baseline, cfg.source.canary]) {
    const found = await ctx.foreignListener(t.url, when);
    if (found) return [found];
  }
  return [];
}

const sideSummary = (s: SideSamples) => ({ n: s.values.length, attempted: s.attempted, non2xx: s.non2xx, errors: s.errors, timeouts: s.timeouts, statuses: s.statuses, ...(s.firstError ? { firstError: s.firstError } : {}) });
const failedOf = (s: SideSamples) => s.non2xx + s.errors + s.timeouts;
const round3 = (xs: number[]) => xs.map((x) => Math.round(x * 1000) / 1000);

/** The judgement as checks and metrics, `on-marginal` applied. */
export function canaryResult(cfg: CanaryConfig, j: CanaryJudgement, name: string, unit: string | undefined, sampled?: Sampled): { checks: Check[]; metrics: Metric[] } {
  const checks: Check[] = [];
  const metrics: Metric[] = [];
  const s = j.summary;
  if (sampled && cfg.limits.errorRate) {
    const c = sampled.canary;
    const limit = `${cfg.limits.errorRate.op} ${Number((cfg.limits.errorRate.value * 100).toPrecision(6))}%`;
    const rate = c.attempted ? `${((failedOf(c) / c.attempted) * 100).toFixed(2)}%` : 'unknown';
    checks.push({
      check: 'canary error rate',
      expected: limit,
      actual: `${rate} (${failedOf(c)} of ${c.attempted} failed: ${c.non2xx} non-2xx, ${c.errors} errors, ${c.timeouts} timeouts${c.firstError ? `; first error: ${c.firstError}` : ''})`,
      ok: !j.errorLimitBroken,
      ...(j.errorReason ? { message: j.errorReason } : {}),
    });
  }
  const marginal = j.comparison === 'marginal';
  checks.push({
    check: `canary ${name}`,
    expected: `not worse than ${Number(cfg.limits.maxIncrease.toPrecision(6))}× the baseline (alpha ${cfg.limits.alpha}, at least ${cfg.limits.minSamples} samples a side)`,
    actual: `${j.comparison.toUpperCase()}: ${j.comparisonReason}`,
    ok: j.comparison === 'pass' || (marginal && cfg.onMarginal === 'pass'),
    ...(marginal && cfg.onMarginal !== 'fail' ? { severity: 'warn' as const } : {}),
    ...(marginal ? { message: `marginal: ${s.ratio !== undefined ? `${Number(s.ratio.toPrecision(3))}×` : 'an increase over 0'} against a limit of ${Number(cfg.limits.maxIncrease.toPrecision(6))}×, p ${formatP(s.pValue)} — ${j.marginal === 'significant-within-limit' ? 'significant, within the limit' : 'beyond the limit, not significant'}; on-marginal: ${cfg.onMarginal}` } : {}),
    ...(j.tooFew ? { message: `is each side up and answering 2xx?${sampled?.stoppedBy === 'duration' ? ` Sampling stopped at its duration after ${(sampled.elapsedMs / 1000).toFixed(1)} s: lengthen \`duration\` or ask for fewer \`requests\`.` : ''} Too few samples is never a pass` } : {}),
  });
  if (!j.tooFew) {
    const u = unit ? { unit } : {};
    metrics.push(
      { name: `metric.canary.${name}.baseline`, value: s.medianBaseline, ...u },
      { name: `metric.canary.${name}.canary`, value: s.medianCanary, ...u },
      { name: `metric.canary.${name}.shift`, value: s.shift, ...u },
      ...(s.ratio !== undefined ? [{ name: `metric.canary.${name}.ratio`, value: s.ratio }] : []),
      { name: 'metric.canary.p-value', value: s.pValue },
      { name: 'metric.canary.samples', value: Math.min(s.nBaseline, s.nCanary) },
    );
  }
  if (sampled) {
    if (sampled.canary.attempted) metrics.push({ name: 'metric.canary.errors.rate', value: failedOf(sampled.canary) / sampled.canary.attempted }, { name: 'metric.canary.errors.total', value: failedOf(sampled.canary) });
    if (sampled.baseline.attempted) metrics.push({ name: 'metric.canary.baseline.errors.rate', value: failedOf(sampled.baseline) / sampled.baseline.attempted });
  }
  return { checks, metrics };
}

type Limits = { maxIncrease: number; alpha: number; minSamples: number; onMarginal: CanaryConfig['onMarginal'] };

/** What an HTTP comparison keeps in gate-<id>.canary.json: what was asked, both sides, the verdict and every sample. */
function keptComparison(target: Obj, sampling: Obj, limits: Obj, sampled: Sampled, j: CanaryJudgement) {
  return {
    name: 'canary',
    data: {
      target,
      limits,
      sampling: { stoppedBy: sampled.stoppedBy, elapsedMs: Math.round(sampled.elapsedMs), ...sampling },
      baseline: sideSummary(sampled.baseline),
      canary: sideSummary(sampled.canary),
      verdict: j.verdict,
      reasons: j.reasons,
      summary: j.summary,
      samples: { baseline: round3(sampled.baseline.values), canary: round3(sampled.canary.values) },
    },
  };
}

/** Two load runs (canary-load.ts): the same judgement, the generator's own checks beside it. */
async function runUnderLoad(cfg: CanaryConfig, src: Extract<CanarySource, { kind: 'load' }>, limits: Limits, abort: AbortSignal) {
  const sampled = await sampleUnderLoad({ baseline: src.baseline, canary: src.canary, load: src.load, abort });
  if (sampled.stoppedBy === 'cancelled') return { checks: [{ check: 'canary', expected: 'runs', actual: 'cancelled', ok: false }] };
  const errors = { baseline: { attempted: sampled.baseline.attempted, failed: failedOf(sampled.baseline) }, canary: { attempted: sampled.canary.attempted, failed: failedOf(sampled.canary) } };
  const j = judgeCanary({ baseline: sampled.baseline.values, canary: sampled.canary.values, errors }, cfg.limits, 'ms');
  const judged = canaryResult(cfg, j, 'latency', 'ms', sampled);
  return {
    checks: [...sampled.generator, ...judged.checks],
    metrics: judged.metrics,
    evidence: [
      keptComparison(
        { baseline: `${src.baseline.method} ${src.baseline.url}`, canary: `${src.canary.method} ${src.canary.url}`, metric: 'latency', load: { ...src.load, rate: src.load.rate ?? null } },
        { slices: sampled.slices, recorded: sampled.recorded },
        { ...limits, errorRate: cfg.limits.errorRate ?? null },
        sampled,
        j,
      ),
    ],
  };
}

export const canaryKind = defineCheckKind<UserCanary, CanaryConfig, 'canary'>({
  key: 'canary',
  schema: canarySchema,
  present: (raw) => raw !== undefined,
  yieldsMetrics: true,
  normalize,
  rules,
  interpolate: (cfg, vars) => ({
    ...cfg,
    source:
      cfg.source.kind !== 'prometheus'
        ? { ...cfg.source, baseline: interpolateTarget(cfg.source.baseline, vars), canary: interpolateTarget(cfg.source.canary, vars) }
        : {
            ...cfg.source,
            url: interpolateText(cfg.source.url, vars),
            headers: Object.fromEntries(Object.entries(cfg.source.headers).map(([k, v]) => [k, interpolateText(v, vars)])),
            baseline: interpolateQuery(cfg.source.baseline, vars, SAFE_IN_QUERY, 'PromQL'),
            canary: interpolateQuery(cfg.source.canary, vars, SAFE_IN_QUERY, 'PromQL'),
          },
  }),
  preflight: (cfg, ctx) => foreignTargets(cfg, ctx, 'before the gate'),
  async run(cfg, ctx) {
    const limits = { maxIncrease: cfg.limits.maxIncrease, alpha: cfg.limits.alpha, minSamples: cfg.limits.minSamples, onMarginal: cfg.onMarginal };
    if (cfg.source.kind === 'prometheus') {
      const sampled = await samplePrometheus(cfg.source, ctx);
      if (!sampled.ok) return { checks: sampled.checks, ...(sampled.evidence ? { evidence: [sampled.evidence] } : {}) };
      // Values were converted to the canonical unit (seconds to ms): the metrics carry that one.
      const unit = cfg.source.unit ? toCanonical(1, cfg.source.unit).unit : undefined;
      const j = judgeCanary({ baseline: sampled.baseline, canary: sampled.canary }, cfg.limits, unit ?? '');
      return {
        ...canaryResult(cfg, j, 'value', unit),
        evidence: [sampled.evidence, { name: 'canary', data: { limits, verdict: j.verdict, reasons: j.reasons, summary: j.summary, samples: { baseline: round3(sampled.baseline), canary: round3(sampled.canary) } } }],
      };
    }
    const src = cfg.source;
    const foreign = await foreignTargets(cfg, ctx, 'at probe time');
    if (foreign.length) return { checks: foreign };
    if (src.kind === 'load') return runUnderLoad(cfg, src, limits, ctx.signal);
    const sampled = await sampleHttp({ baseline: src.baseline, canary: src.canary, signal: src.signal, requests: src.requests, warmup: src.warmup, durationMs: src.durationMs, timeoutMs: src.timeoutMs, abort: ctx.signal });
    if (sampled.stoppedBy === 'cancelled') return { checks: [{ check: 'canary', expected: 'runs', actual: 'cancelled', ok: false }] };
    const errors = { baseline: { attempted: sampled.baseline.attempted, failed: failedOf(sampled.baseline) }, canary: { attempted: sampled.canary.attempted, failed: failedOf(sampled.canary) } };
    const j = judgeCanary({ baseline: sampled.baseline.values, canary: sampled.canary.values, errors }, cfg.limits, 'ms');
    return {
      ...canaryResult(cfg, j, src.signal, 'ms', sampled),
      evidence: [
        keptComparison(
          { baseline: `${src.baseline.method} ${src.baseline.url}`, canary: `${src.canary.method} ${src.canary.url}`, metric: src.signal, requests: src.requests, warmup: src.warmup, durationMs: src.durationMs, timeoutMs: src.timeoutMs },
          {},
          { ...limits, errorRate: cfg.limits.errorRate ?? null },
          sampled,
          j,
        ),
      ],
    };
  },
});

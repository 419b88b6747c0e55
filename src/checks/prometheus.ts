/**
 * `prometheus:` — PromQL queries as evidence. Each named query yields `metric.<name>` for the
 * gate's `expect` (and for baselines and drift, like any metric). An instant query is evaluated
 * at the end of the window; a range query (`range: true`) over the window, reduced to one number.
 * The query, its window and the raw answer are kept in the run folder. No data fails by default.
 *
 *   prometheus:
 *     url: http://127.0.0.1:9090
 *     window: run                      # run (default) · load (this gate's load phase) · 15m
 *     queries:
 *       error_ratio: 'sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))'
 *       p95: { query: 'histogram_quantile(0.95, …)', range: true, reduce: max, unit: s, min-samples: 10 }
 */
import { z } from 'zod';
import { deferred } from '../config/deferred.js';
import { duration, url } from '../config/fields.js';
import { interpolateQuery, interpolateText } from '../config/interpolate.js';
import { isKnownUnit } from '../config/units.js';
import { parseDuration } from '../config/values.js';
import type { Check } from '../model/types.js';
import { sleep } from '../util/sleep.js';
import { defineCheckKind, type CheckContext } from './kind.js';
import { chooseStepMs, keptBody, queryPrometheus } from './prometheus-api.js';
import { judgeAnswer, type OnNoData, type QuerySpec, type Reduce } from './prometheus-judge.js';

const QUERY_NAME_RE = /^[A-Za-z_][A-Za-z0-9_.]*$/;
/** What a `${…}` value may hold inside PromQL: nothing that closes a string, a selector or a call. */
export const SAFE_IN_QUERY = /^[A-Za-z0-9._+:@/-]*$/;
const DEFAULT_TIMEOUT_MS = 10_000;
/** The raw answer kept as evidence is cut here (a judged query answers in a few hundred bytes). */
const KEPT_BODY_CHARS = 64 * 1024;

const onNoData = z.enum(['fail', 'warn', 'pass']).meta({ description: 'When the query has no data (empty result, NaN, fewer than min-samples): fail (default), warn, or pass (still reported)' });
const onWarning = z.enum(['fail', 'warn']).meta({ description: 'When Prometheus answers with warnings (a partial answer): fail (default) or warn' });
const minSamples = z.number().int().min(1).max(100_000).meta({ description: 'Range queries: at least this many samples in the window, a traffic floor (default 1)' });

const querySchema = deferred(() =>
  z.union([
    z.string().min(1),
    z.strictObject({
      query: z.string().min(1).meta({ description: 'PromQL; ${version} and friends may be used (values are refused if they hold quotes, braces or spaces)' }),
      range: z.boolean().optional().meta({ description: 'true: a range query over the window, reduced to one number (default false: an instant query at the window end)' }),
      reduce: z.enum(['avg', 'min', 'max', 'last']).optional().meta({ description: 'How a range query becomes one number (default avg)' }),
      'min-samples': minSamples.optional(),
      unit: z.string().optional().meta({ description: 'The unit the query answers in: s, ms, B, %… (seconds become ms, so `< 200ms` reads right)' }),
      'on-no-data': onNoData.optional(),
      'on-warning': onWarning.optional(),
    }),
  ])
);

export const prometheusSchema = deferred(() =>
  z.strictObject({
    url: url.meta({ description: 'Base URL of the Prometheus HTTP API, e.g. http://127.0.0.1:9090' }),
    queries: z.record(z.string(), querySchema).meta({ description: 'Name → PromQL: each yields metric.<name>' }),
    window: z.string().optional().meta({ description: 'run (default: since this run started), load (the load phase of this gate), or a duration back from now (15m)' }),
    step: duration.optional().meta({ description: 'Range queries: resolution (default: about 250 points over the window, at least 1s; raised to stay under 11,000 points)' }),
    timeout: duration.optional().meta({ description: 'Each query: give up after this long (default 10s)' }),
    settle: duration.optional().meta({ description: 'Wait this long before querying, so Prometheus has scraped the end of the window (e.g. 2× the scrape interval after a load)' }),
    headers: z.record(z.string(), z.string()).optional().meta({ description: 'Request headers, e.g. Authorization: "Bearer ${env.PROM_TOKEN}"' }),
    'on-no-data': onNoData.optional(),
    'on-warning': onWarning.optional(),
    'min-samples': minSamples.optional(),
  })
);

export type UserPrometheus = z.input<typeof prometheusSchema>;

export type PromWindow = { kind: 'run' } | { kind: 'load' } | { kind: 'last'; ms: number };

export interface PrometheusConfig {
  url: string;
  headers: Record<string, string>;
  window: PromWindow;
  stepMs?: number;
  timeoutMs: number;
  settleMs: number;
  queries: QuerySpec[];
}

export function parseWindow(text: string | undefined): PromWindow | undefined {
  if (text === undefined || text === 'run') return { kind: 'run' };
  if (text === 'load') return { kind: 'load' };
  const ms = parseDuration(text);
  return ms !== undefined && ms > 0 ? { kind: 'last', ms } : undefined;
}

function normalize(p: UserPrometheus): PrometheusConfig {
  const queries = Object.entries(p.queries).map(([name, q]): QuerySpec => {
    const o = typeof q === 'string' ? { query: q } : q;
    return {
      name,
      query: o.query,
      range: o.range ?? false,
      reduce: (o.reduce ?? 'avg') as Reduce,
      minSamples: o['min-samples'] ?? p['min-samples'] ?? 1,
      onNoData: (o['on-no-data'] ?? p['on-no-data'] ?? 'fail') as OnNoData,
      onWarning: o['on-warning'] ?? p['on-warning'] ?? 'fail',
      ...(o.unit ? { unit: o.unit } : {}),
    };
  });
  return {
    url: p.url,
    headers: Object.fromEntries(Object.entries(p.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    window: parseWindow(p.window) ?? { kind: 'run' },
    ...(p.step ? { stepMs: parseDuration(p.step)! } : {}),
    timeoutMs: p.timeout ? parseDuration(p.timeout)! : DEFAULT_TIMEOUT_MS,
    settleMs: p.settle ? parseDuration(p.settle)! : 0,
    queries,
  };
}

/** The window this gate's queries look at, or why there is none. */
export function resolveWindow(window: PromWindow, ctx: CheckContext, nowMs: number): { startMs: number; endMs: number } | string {
  switch (window.kind) {
    case 'run':
      return { startMs: ctx.runStartedMs, endMs: nowMs };
    case 'last':
      return { startMs: nowMs - window.ms, endMs: nowMs };
    case 'load': {
      const phase = ctx.phases.get('load');
      return phase ?? 'the load phase did not happen in this gate, so there is no window to query';
    }
  }
}

/** The endpoint as kept: no user, password or query string (where a token could hide). */
export function withoutCredentials(u: string): string {
  try {
    const x = new URL(u);
    x.username = '';
    x.password = '';
    x.search = '';
    return x.toString();
  } catch {
    return '(not a URL)';
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export const prometheusKind = defineCheckKind<UserPrometheus, PrometheusConfig, 'prometheus'>({
  key: 'prometheus',
  schema: prometheusSchema,
  present: (raw) => raw !== undefined,
  yieldsMetrics: true,
  normalize,
  rules(raw, at, ctx) {
    if (!isObj(raw)) return;
    if (typeof raw.url === 'string') {
      ctx.checkVars(raw.url, [...at, 'url']);
      ctx.checkUrl(raw.url, [...at, 'url']);
    }
    for (const [k, v] of Object.entries(isObj(raw.headers) ? raw.headers : {})) ctx.checkVars(v, [...at, 'headers', k]);
    if (typeof raw.window === 'string' && parseWindow(raw.window) === undefined) {
      ctx.push('CONFIG_VALUE', `not a window: ${JSON.stringify(raw.window)}`, [...at, 'window'], 'write run, load, or a duration such as 15m');
    }
    if (isObj(raw.queries)) {
      const entries = Object.entries(raw.queries);
      if (entries.length === 0) ctx.push('CONFIG_VALUE', 'no queries: a prometheus check needs at least one', [...at, 'queries'], 'name each query: `error_ratio: "PROMQL"`');
      for (const [name, q] of entries) {
        if (!QUERY_NAME_RE.test(name)) ctx.push('CONFIG_VALUE', `query name ${JSON.stringify(name)} cannot be a metric name`, [...at, 'queries', name], 'use letters, digits, _ and . (it becomes metric.<name>)');
        const text = typeof q === 'string' ? q : isObj(q) ? q.query : undefined;
        ctx.checkVars(text, typeof q === 'string' ? [...at, 'queries', name] : [...at, 'queries', name, 'query']);
        if (isObj(q)) {
          if (q['min-samples'] !== undefined && q.range !== true) {
            ctx.push('CONFIG_VALUE', '`min-samples` counts the samples of a range query', [...at, 'queries', name, 'min-samples'], 'add `range: true`, or count the traffic in the query itself');
          }
          if (q.reduce !== undefined && q.range !== true) ctx.push('CONFIG_VALUE', '`reduce` applies to a range query', [...at, 'queries', name, 'reduce'], 'add `range: true`');
          if (typeof q.unit === 'string' && q.unit !== '' && !isKnownUnit(q.unit)) ctx.push('CONFIG_VALUE', `unknown unit ${JSON.stringify(q.unit)}`, [...at, 'queries', name, 'unit'], 'write s, ms, B, KB, MB, % …');
        }
      }
    }
  },
  interpolate: (cfg, vars) => ({
    ...cfg,
    url: interpolateText(cfg.url, vars),
    headers: Object.fromEntries(Object.entries(cfg.headers).map(([k, v]) => [k, interpolateText(v, vars)])),
    queries: cfg.queries.map((q) => ({ ...q, query: interpolateQuery(q.query, vars, SAFE_IN_QUERY, 'PromQL') })),
  }),
  async run(cfg, ctx) {
    // The window still ends where it would have (the load's end, or now): settling only lets the last scrape land.
    const endMs = Date.now();
    if (cfg.settleMs > 0) await sleep(cfg.settleMs, ctx.signal);
    const window = resolveWindow(cfg.window, ctx, endMs);
    if (typeof window === 'string') {
      return { checks: [{ check: 'prometheus window', expected: 'a window to query', actual: window, ok: false, message: 'give the gate a `load` check, or use window: run' }] };
    }
    const spanMs = Math.max(1, window.endMs - window.startMs);
    const stepMs = chooseStepMs(spanMs, cfg.stepMs);
    const checks: Check[] = [];
    const metrics = [];
    const evidence = [];
    for (const q of cfg.queries) {
      if (ctx.signal.aborted) break;
      const answer = await queryPrometheus({
        baseUrl: cfg.url,
        query: q.query,
        headers: cfg.headers,
        timeoutMs: cfg.timeoutMs,
        signal: ctx.signal,
        endMs: window.endMs,
        ...(q.range ? { range: { startMs: window.startMs, stepMs } } : {}),
      });
      const judged = judgeAnswer(q, answer);
      checks.push(judged.check);
      if (judged.metric) metrics.push(judged.metric);
      evidence.push({
        name: q.name,
        data: {
          query: q.query,
          type: q.range ? 'range' : 'instant',
          window: { start: new Date(window.startMs).toISOString(), end: new Date(window.endMs).toISOString(), ...(q.range ? { stepMs } : {}) },
          endpoint: withoutCredentials(answer.url),
          status: answer.status ?? null,
          ...(answer.error ? { error: answer.error } : {}),
          samples: judged.samples,
          value: judged.metric?.value ?? null,
          ok: judged.check.ok,
          response: keptBody(answer.body, KEPT_BODY_CHARS),
        },
      });
    }
    return { checks, metrics, evidence };
  },
});

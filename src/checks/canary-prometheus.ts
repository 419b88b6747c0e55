/**
 * Samples for a canary comparison from Prometheus: one range query per side over the window, each
 * point of the answered series one sample. Every answer is first judged like a `prometheus:` query
 * (an error, several series, ±Inf, warnings or no data fail, saying why), so the two kinds never
 * disagree about what an answer means.
 *
 * The points of a range query are not independent measurements: a `rate(…[1m])` evaluated every
 * 5 s shares most of its data with its neighbours, and a step shorter than the scrape interval
 * repeats values. The p-value then overstates the evidence; README says so.
 */
import { toCanonical } from '../config/units.js';
import type { Check } from '../model/types.js';
import type { CheckContext, KeptEvidence } from './kind.js';
import { chooseStepMs, queryPrometheus } from './prometheus-api.js';
import { judgeAnswer, sampleValue } from './prometheus-judge.js';
import { resolveWindow, withoutCredentials, type PromWindow } from './prometheus.js';

export interface PromSource {
  url: string;
  headers: Record<string, string>;
  baseline: string;
  canary: string;
  window: PromWindow;
  stepMs?: number;
  timeoutMs: number;
  /** The unit the queries answer in; seconds become ms. */
  unit?: string;
}

export type PromSampled =
  | { ok: true; baseline: number[]; canary: number[]; evidence: KeptEvidence }
  | { ok: false; checks: Check[]; evidence?: KeptEvidence };

/** The finite values of the one series of a matrix answer already judged readable. */
function seriesValues(body: string | undefined, unit: string | undefined): number[] {
  const parsed = JSON.parse(body ?? '{}') as { data?: { result?: { values?: unknown[] }[] } };
  const values = parsed.data?.result?.[0]?.values ?? [];
  return values.map(sampleValue).filter((v): v is number => v !== undefined && Number.isFinite(v)).map((v) => toCanonical(v, unit).value);
}

export async function samplePrometheus(src: PromSource, ctx: CheckContext): Promise<PromSampled> {
  const window = resolveWindow(src.window, ctx, Date.now());
  if (typeof window === 'string') {
    return { ok: false, checks: [{ check: 'canary prometheus window', expected: 'a window to query', actual: window, ok: false, message: 'give the gate a `load` check, or use window: run' }] };
  }
  const stepMs = chooseStepMs(Math.max(1, window.endMs - window.startMs), src.stepMs);
  const sides: Record<'baseline' | 'canary', number[]> = { baseline: [], canary: [] };
  const checks: Check[] = [];
  const kept: Record<string, unknown> = {};
  for (const side of ['baseline', 'canary'] as const) {
    const answer = await queryPrometheus({ baseUrl: src.url, query: src[side], headers: src.headers, timeoutMs: src.timeoutMs, signal: ctx.signal, endMs: window.endMs, range: { startMs: window.startMs, stepMs } });
    const judged = judgeAnswer({ name: `canary ${side}`, query: src[side], range: true, reduce: 'avg', minSamples: 1, onNoData: 'fail', onWarning: 'fail', ...(src.unit ? { unit: src.unit } : {}) }, answer);
    if (!judged.check.ok) checks.push({ ...judged.check, check: `canary ${side} query` });
    else sides[side] = seriesValues(answer.body, src.unit);
    kept[side] = { query: src[side], status: answer.status ?? null, ...(answer.error ? { error: answer.error } : {}), samples: judged.samples, ok: judged.check.ok, ...(judged.check.ok ? {} : { actual: judged.check.actual }) };
  }
  const evidence: KeptEvidence = {
    name: 'prometheus',
    data: { endpoint: withoutCredentials(`${src.url.replace(/\/+$/, '')}/api/v1/query_range`), window: { start: new Date(window.startMs).toISOString(), end: new Date(window.endMs).toISOString(), stepMs }, ...kept },
  };
  return checks.length ? { ok: false, checks, evidence } : { ok: true, ...sides, evidence };
}

/**
 * What one Prometheus answer says, judged. Pure: an HTTP status and body in, a check and (when
 * there is one number to judge) a metric out.
 *
 * No data is never a pass. An empty vector or matrix, a series without samples, NaN (0/0: nothing
 * happened in the window) or fewer samples than `min-samples` is "no data", which fails unless the
 * query says `on-no-data: warn` (a warning) or `pass` (explicitly accepted, still reported). Anything
 * else that is not one finite number — an error status, an unreadable body, several series, ±Inf,
 * a string result — fails whatever `on-no-data` says, since it is not "nothing happened" but
 * "the question or the answer is wrong".
 */
import { formatNumber, toCanonical } from '../config/units.js';
import type { Metric } from '../model/evidence.js';
import type { Check } from '../model/types.js';

export type OnNoData = 'fail' | 'warn' | 'pass';
export type Reduce = 'avg' | 'min' | 'max' | 'last';

export interface QuerySpec {
  name: string;
  query: string;
  /** Range query over the window (reduced to one number), or an instant query at its end. */
  range: boolean;
  reduce: Reduce;
  minSamples: number;
  onNoData: OnNoData;
  onWarning: 'fail' | 'warn';
  /** The unit the query answers in (`s`, `ms`, `B`, `%`…); converted to the canonical one. */
  unit?: string;
}

export interface PromAnswer {
  /** HTTP status; undefined when no answer came (connection refused, timeout). */
  status?: number;
  body?: string;
  /** Why there was no answer. */
  error?: string;
}

export interface Judged {
  check: Check;
  metric?: Metric;
  /** The number of samples the answer held (range: points of the series; instant: 1 or 0). */
  samples: number;
}

interface PromBody {
  status?: unknown;
  errorType?: unknown;
  error?: unknown;
  warnings?: unknown;
  data?: { resultType?: unknown; result?: unknown };
}

const MAX_SERIES_SHOWN = 3;

function seriesName(metric: unknown): string {
  if (!metric || typeof metric !== 'object') return '{}';
  const labels = Object.entries(metric as Record<string, unknown>)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${JSON.stringify(String(v))}`);
  return `{${labels.join(',')}}`;
}

/** Prometheus writes sample values as strings: "1.5", "NaN", "+Inf". */
export function sampleValue(pair: unknown): number | undefined {
  if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[1] !== 'string') return undefined;
  const text = pair[1].trim();
  // JavaScript's Number() reads neither "+Inf" nor "Inf": taken as NaN, a division by zero would pass as no data.
  if (/^[+]?inf$/i.test(text)) return Infinity;
  if (/^-inf$/i.test(text)) return -Infinity;
  return text === '' ? undefined : Number(text);
}

function reduce(values: number[], how: Reduce): number {
  switch (how) {
    case 'min':
      return Math.min(...values);
    case 'max':
      return Math.max(...values);
    case 'last':
      return values[values.length - 1]!;
    case 'avg':
      return values.reduce((a, b) => a + b, 0) / values.length;
  }
}

export function judgeAnswer(q: QuerySpec, answer: PromAnswer): Judged {
  const name = `prometheus ${q.name}`;
  const expected = q.range ? `one series with at least ${q.minSamples} sample${q.minSamples === 1 ? '' : 's'}` : 'one finite number';
  const fail = (actual: string, message: string, samples = 0): Judged => ({ check: { check: name, expected, actual, ok: false, message }, samples });

  if (answer.status === undefined) {
    return fail(`no answer: ${answer.error ?? 'unknown error'}`, 'Prometheus could not be reached: check `url` and that Prometheus runs there');
  }
  let body: PromBody | undefined;
  try {
    body = JSON.parse(answer.body ?? '') as PromBody;
  } catch {
    body = undefined;
  }
  const promError = body && typeof body.error === 'string' ? `${typeof body.errorType === 'string' ? `${body.errorType}: ` : ''}${body.error}` : undefined;
  if (answer.status >= 400 && answer.status < 500) {
    return fail(`HTTP ${answer.status}${promError ? ` (${promError})` : ''}`, 'Prometheus refused the query: fix the PromQL (or the URL, or the credentials)');
  }
  if (answer.status >= 500) {
    return fail(`HTTP ${answer.status}${promError ? ` (${promError})` : ''}`, 'Prometheus failed to answer (server error or overload): the release cannot be judged on this query; retry when Prometheus is healthy');
  }
  if (answer.status < 200 || answer.status >= 300) return fail(`HTTP ${answer.status}`, 'an unexpected answer from Prometheus');
  if (!body || typeof body !== 'object') return fail('a body that is not JSON', 'the URL does not seem to be the Prometheus HTTP API');
  if (body.status !== 'success') return fail(`status ${JSON.stringify(body.status)}${promError ? ` (${promError})` : ''}`, 'Prometheus did not answer the query successfully');

  const warnings = Array.isArray(body.warnings) ? body.warnings.map(String) : [];
  const type = body.data?.resultType;
  const result = body.data?.result;

  let values: number[];
  if (type === 'scalar') {
    const v = sampleValue(result);
    if (v === undefined) return fail('a malformed scalar', 'the answer does not follow the Prometheus API');
    values = [v];
  } else if (type === 'vector' || type === 'matrix') {
    if (!Array.isArray(result)) return fail(`a malformed ${type}`, 'the answer does not follow the Prometheus API');
    if (result.length > 1) {
      const shown = result.slice(0, MAX_SERIES_SHOWN).map((s) => seriesName((s as { metric?: unknown }).metric));
      return fail(
        `${result.length} series: ${shown.join(', ')}${result.length > MAX_SERIES_SHOWN ? ', …' : ''}`,
        'the query must answer one number: aggregate it (sum, max, avg … by nothing) or select one series',
      );
    }
    const series = result[0] as { value?: unknown; values?: unknown } | undefined;
    if (series === undefined) values = [];
    else if (type === 'vector') {
      const v = sampleValue(series.value);
      if (v === undefined) return fail('a malformed sample', 'the answer does not follow the Prometheus API');
      values = [v];
    } else {
      if (!Array.isArray(series.values)) return fail('a malformed series', 'the answer does not follow the Prometheus API');
      values = series.values.map(sampleValue).filter((v): v is number => v !== undefined);
    }
  } else {
    return fail(`a ${String(type)} result`, 'the query must answer a number (an instant vector or a scalar)');
  }

  const finite = values.filter((v) => !Number.isNaN(v));
  if (finite.some((v) => !Number.isFinite(v))) {
    return fail(`${finite.find((v) => !Number.isFinite(v))! > 0 ? '+Inf' : '-Inf'}`, 'the query divides by zero: guard the denominator (e.g. `> 0`) so an empty window shows as no data', values.length);
  }

  // No data, in its several forms: each says what it was.
  let noData: string | undefined;
  if (values.length === 0) noData = q.range ? 'no data: the query returned no series in the window' : 'no data: the query returned an empty vector';
  else if (finite.length === 0) noData = `no data: NaN${values.length > 1 ? ` in all ${values.length} samples` : ''} (0/0: nothing to measure in the window)`;
  else if (q.range && finite.length < q.minSamples) noData = `${finite.length} sample${finite.length === 1 ? '' : 's'}, fewer than min-samples ${q.minSamples}`;
  if (noData !== undefined) {
    const hint = 'is the service scraped, and did traffic reach it in the window? Check the query in the Prometheus UI';
    if (q.onNoData === 'fail') return fail(noData, `${hint}; no data is never a pass (on-no-data: fail)`, finite.length);
    return {
      check: {
        check: name,
        expected,
        actual: noData,
        // warn: a failing check that only warns; pass: a passing one that still says so.
        ok: q.onNoData === 'pass',
        severity: 'warn',
        message: `prometheus ${q.name}: ${noData} — accepted by on-no-data: ${q.onNoData}; an expectation on metric.${q.name} still fails without a value`,
      },
      samples: finite.length,
    };
  }

  const raw = reduce(finite, q.reduce);
  const canon = toCanonical(raw, q.unit);
  const metric: Metric = { name: `metric.${q.name}`, value: canon.value, ...(canon.unit ? { unit: canon.unit } : {}), source: 'prometheus' };
  const how = q.range ? `${q.reduce} of ${finite.length} samples${finite.length < values.length ? ` (${values.length - finite.length} NaN left out)` : ''}` : 'instant';
  const actual = `${formatNumber(raw)}${q.unit ? ` ${q.unit}` : ''} (${how})`;
  if (warnings.length) {
    const text = `Prometheus warned: ${warnings.join('; ')}`;
    return {
      check: { check: name, expected: `${expected}, without warnings`, actual: `${actual}; ${text}`, ok: false, ...(q.onWarning === 'warn' ? { severity: 'warn' as const } : {}), message: `${text} (the answer may be partial; on-warning: ${q.onWarning})` },
      ...(q.onWarning === 'warn' ? { metric } : {}),
      samples: finite.length,
    };
  }
  return { check: { check: name, expected, actual, ok: true }, metric, samples: finite.length };
}

/**
 * k6 end-of-test summaries: `k6 run --summary-export=file.json` (legacy) and the `data` object of
 * `handleSummary(data)` written as JSON (`{metrics: {name: {type, contains, values, thresholds}}}`).
 *
 * Metrics become `metric.<k6 name>.<stat>`: `avg`, `min`, `med`, `max`, `p90`, `p95`, `p99`
 * (`p(99.9)` → `p99_9`, dots being path separators), `count`, `rate`, `passes`, `fails`, `value`.
 * A tagged sub-metric keeps its tag set in the name, as k6 prints it:
 * `metric.http_req_duration{expected_response:true}.p95`; the stat is always the last segment.
 * Units: time trends in ms (k6's own unit), data counters in B, `rate` of a Rate metric 0..1 and
 * of a Counter per second (`/s`).
 *
 * Thresholds: in `--summary-export` a threshold's boolean is true when it FAILED (k6's
 * "crossed"); in handleSummary data each threshold is `{ok: boolean}`.
 */
import { EvidenceError } from '../errors.js';
import type { EvidencePart, FormatParser, Metric, ThresholdResult } from './model.js';
import { readJson } from './read.js';
import { isObject, type Json } from './json-shape.js';


/** Built-in trends measured in time (summary-export carries no type information). */
const TIME_METRIC = /^(http_req_(duration|blocked|connecting|tls_handshaking|sending|waiting|receiving)|iteration_duration|group_duration|ws_(connecting|session_duration|ping)|grpc_req_duration|browser_.*|webvital_(lcp|fcp|ttfb|inp|fid))(\{|$)/;
const DATA_METRIC = /^(data_received|data_sent|ws_msgs_sent_bytes|browser_data_(received|sent))(\{|$)/;

type K6Type = 'trend' | 'rate' | 'counter' | 'gauge';

export function statName(key: string): string {
  const p = /^p\((\d+(?:\.\d+)?)\)$/.exec(key);
  return p ? `p${p[1]!.replace('.', '_')}` : key;
}

/** The type of a summary-export entry, read from the stats it has. */
function inferType(values: Json): K6Type {
  if ('passes' in values || 'fails' in values) return 'rate';
  if ('count' in values) return 'counter';
  if ('avg' in values || 'med' in values) return 'trend';
  return 'gauge';
}

function unitFor(name: string, type: K6Type, stat: string, contains: string | undefined): string | undefined {
  if (type === 'rate') return undefined;
  if (type === 'counter' && stat === 'rate') return '/s';
  const time = contains === 'time' || (contains === undefined && TIME_METRIC.test(name));
  const data = contains === 'data' || (contains === undefined && DATA_METRIC.test(name));
  if (type === 'trend' && time) return 'ms';
  if (type === 'gauge' && time) return 'ms';
  if ((type === 'counter' || type === 'gauge') && data && stat === 'count') return 'B';
  if (type === 'trend' && data) return 'B';
  return undefined;
}

function malformed(displayPath: string, what: string): EvidenceError {
  return new EvidenceError('EVIDENCE_MALFORMED', displayPath, `${displayPath}: ${what}`, {
    hint: 'the file is not a k6 summary (use --summary-export or JSON.stringify(data) in handleSummary)',
  });
}

async function parse(path: string, opts: { displayPath: string }): Promise<EvidencePart> {
  const { displayPath } = opts;
  const doc = await readJson(path, opts);
  if (!isObject(doc) || !isObject(doc.metrics)) throw malformed(displayPath, 'no "metrics" object');
  const metrics: Metric[] = [];
  const thresholds: ThresholdResult[] = [];

  for (const [name, entry] of Object.entries(doc.metrics)) {
    if (!isObject(entry)) throw malformed(displayPath, `metric "${name}" is not an object`);
    // handleSummary: {type, contains, values: {...}, thresholds: {expr: {ok}}}
    const modern = isObject(entry.values);
    const values = modern ? (entry.values as Json) : entry;
    const type: K6Type =
      modern && typeof entry.type === 'string' && ['trend', 'rate', 'counter', 'gauge'].includes(entry.type)
        ? (entry.type as K6Type)
        : inferType(values);
    const contains = modern && typeof entry.contains === 'string' ? entry.contains : undefined;

    for (const [key, v] of Object.entries(values)) {
      if (key === 'thresholds') continue;
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw malformed(displayPath, `metric "${name}" stat "${key}" is ${JSON.stringify(v)}, not a number`);
      }
      // For a Rate, summary-export's `value` is the rate; name it `rate` as handleSummary does.
      const stat = type === 'rate' && key === 'value' ? 'rate' : statName(key);
      const unit = unitFor(name, type, stat, contains);
      metrics.push({ name: `metric.${name}.${stat}`, value: v, ...(unit ? { unit } : {}), source: displayPath });
    }

    if (entry.thresholds !== undefined) {
      if (!isObject(entry.thresholds)) throw malformed(displayPath, `metric "${name}" thresholds is not an object`);
      for (const [expression, t] of Object.entries(entry.thresholds)) {
        let ok: boolean;
        if (typeof t === 'boolean') ok = !t; // summary-export: true means the threshold was crossed
        else if (isObject(t) && typeof t.ok === 'boolean') ok = t.ok;
        else throw malformed(displayPath, `threshold "${expression}" of "${name}" is neither a boolean nor {ok}`);
        thresholds.push({ metric: name, expression, ok, source: displayPath });
      }
    }
  }
  if (metrics.length === 0) {
    throw new EvidenceError('EVIDENCE_EMPTY', displayPath, `report ${displayPath} has no k6 metrics`, {
      hint: 'the test ran no iterations; check the k6 output',
    });
  }
  return { metrics, thresholds };
}

export const k6SummaryParser: FormatParser = {
  format: 'k6-summary',
  sniff: (head) =>
    /"root_group"\s*:/.test(head) ||
    (/"metrics"\s*:\s*\{/.test(head) &&
      (/"p\(\d+(\.\d+)?\)"\s*:/.test(head) ||
        /"(http_reqs|iterations|vus|vus_max|iteration_duration|checks)"\s*:\s*\{/.test(head) ||
        /"type"\s*:\s*"(trend|counter|rate|gauge)"/.test(head))),
  parse,
};

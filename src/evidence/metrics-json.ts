/**
 * shipgate's own metrics file, for anything a team measures (model quality, bundle or image size):
 *
 *   {"metrics": {"retrieval_mrr": 0.78, "image_size": {"value": 182, "unit": "MB"}}}
 *
 * A value is a finite number or `{value, unit}`. Each becomes `metric.<name>`; units are made
 * canonical (sizes → B by SI/IEC rules, so 182 MB → 182000000 B and 1 MiB → 1048576 B; times → ms;
 * `%` kept; anything else as given). Names are letters, digits and `_ - / :` (a dot would split the
 * dotted path the expect language addresses). Other top-level keys are ignored.
 */
import { EvidenceError } from '../errors.js';
import type { EvidencePart, FormatParser, Metric } from './model.js';
import { readJson } from './read.js';
import { normalizeUnit } from './units.js';
import { isObject } from './json-shape.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_:/-]*$/;

async function parse(path: string, opts: { displayPath: string }): Promise<EvidencePart> {
  const { displayPath } = opts;
  const doc = await readJson(path, opts);
  const bad = (what: string): EvidenceError =>
    new EvidenceError('EVIDENCE_MALFORMED', displayPath, `${displayPath}: ${what}`, {
      hint: 'write {"metrics": {"name": 1.5, "other": {"value": 182, "unit": "MB"}}}',
    });
  if (!isObject(doc) || !isObject(doc.metrics)) throw bad('no "metrics" object at the top level');
  const metrics: Metric[] = [];
  for (const [name, raw] of Object.entries(doc.metrics)) {
    if (!NAME.test(name)) throw bad(`metric name "${name}" must be letters, digits, _ - / : (no dots or spaces)`);
    let value: unknown = raw;
    let unit: string | undefined;
    if (isObject(raw)) {
      value = raw.value;
      if (raw.unit !== undefined && typeof raw.unit !== 'string') throw bad(`metric "${name}" has a unit that is not a string`);
      unit = raw.unit as string | undefined;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw bad(`metric "${name}" is ${JSON.stringify(raw)}; a value is a number or {"value": number, "unit": "…"}`);
    }
    const n = normalizeUnit(value, unit);
    metrics.push({ name: `metric.${name}`, value: n.value, ...(n.unit ? { unit: n.unit } : {}), source: displayPath });
  }
  if (metrics.length === 0) {
    throw new EvidenceError('EVIDENCE_EMPTY', displayPath, `report ${displayPath} has an empty "metrics" object`, {
      hint: 'the step that measures did not record anything',
    });
  }
  return { metrics };
}

export const metricsJsonParser: FormatParser = {
  format: 'metrics-json',
  sniff: (head) => /^\s*\{\s*"metrics"\s*:\s*\{/.test(head),
  parse,
};

/**
 * Prometheus text exposition and OpenMetrics (`# HELP`, `# TYPE`, `# UNIT`, `# EOF`), e.g. a
 * scrape saved with curl or a textfile-collector file. Streamed line by line.
 *
 * Naming: an unlabelled sample is `metric.<name>`; a labelled one is `metric.<name>{k="v",…}` with
 * labels sorted by name and values escaped as in the exposition format, so one series has one
 * name whatever order the exporter printed its labels in (`metric.http_requests_total{code="200",method="get"}`).
 * Units: a family whose `# UNIT` or name suffix says seconds / milliseconds / bytes is converted to
 * ms / B on its value, `_sum` and `_total` samples; `_count` and `_bucket` samples are counts.
 * NaN and ±Inf samples are left out: they cannot be compared, so an expectation on one fails as
 * missing rather than passing by accident. A series listed twice is malformed.
 */
import { EvidenceError } from '../errors.js';
import type { EvidencePart, FormatParser, Metric } from './model.js';
import { fileSize, readLines } from './read.js';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const SUFFIXES = ['_bucket', '_count', '_sum', '_total', '_created', '_gcount', '_gsum', '_info'];
const UNIT_BY_WORD: Record<string, { unit: string; factor: number }> = {
  seconds: { unit: 'ms', factor: 1000 },
  milliseconds: { unit: 'ms', factor: 1 },
  bytes: { unit: 'B', factor: 1 },
};

export interface Sample {
  name: string;
  labels: [string, string][];
  value: number;
}

class SyntaxProblem extends Error {
  constructor(
    message: string,
    readonly col: number,
  ) {
    super(message);
  }
}

function parseValue(raw: string, col: number): number {
  if (/^[+-]?(Inf|inf|\+?Inf)$/.test(raw)) return raw.startsWith('-') ? -Infinity : Infinity;
  if (raw === 'NaN') return NaN;
  const n = Number(raw);
  if (raw === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw) || !Number.isFinite(n)) {
    throw new SyntaxProblem(`"${raw}" is not a sample value`, col);
  }
  return n;
}

/** One sample line: `name{labels} value [timestamp] [# exemplar]`. */
export function parseSampleLine(line: string): Sample {
  const nm = NAME.exec(line);
  if (!nm) throw new SyntaxProblem('expected a metric name', 1);
  const name = nm[0];
  let i = name.length;
  const labels: [string, string][] = [];
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ') i++;
      if (line[i] === '}') {
        i++;
        break;
      }
      const ln = LABEL.exec(line.slice(i));
      if (!ln) throw new SyntaxProblem('expected a label name or "}"', i + 1);
      i += ln[0].length;
      while (line[i] === ' ') i++;
      if (line[i] !== '=') throw new SyntaxProblem(`expected "=" after label ${ln[0]}`, i + 1);
      i++;
      while (line[i] === ' ') i++;
      if (line[i] !== '"') throw new SyntaxProblem(`expected a quoted value for label ${ln[0]}`, i + 1);
      i++;
      let value = '';
      for (;;) {
        const c = line[i];
        if (c === undefined) throw new SyntaxProblem(`unterminated value of label ${ln[0]}`, i + 1);
        if (c === '"') break;
        if (c === '\\') {
          const e = line[i + 1];
          value += e === 'n' ? '\n' : (e ?? '');
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      i++;
      labels.push([ln[0], value]);
      while (line[i] === ' ') i++;
      if (line[i] === ',') i++;
      else if (line[i] !== '}') throw new SyntaxProblem('expected "," or "}" in the label set', i + 1);
    }
  }
  if (line[i] !== ' ' && line[i] !== '\t') throw new SyntaxProblem('expected a space before the value', i + 1);
  const rest = line.slice(i).trim();
  const exemplar = rest.indexOf(' # ');
  const fields = (exemplar === -1 ? rest : rest.slice(0, exemplar)).trim().split(/\s+/);
  if (fields.length === 0 || fields[0] === '' || fields.length > 2) throw new SyntaxProblem('expected "value [timestamp]"', i + 2);
  const value = parseValue(fields[0]!, i + 2);
  if (fields[1] !== undefined && !Number.isFinite(Number(fields[1]))) throw new SyntaxProblem(`"${fields[1]}" is not a timestamp`, i + 2);
  return { name, labels, value };
}

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** `name` or `name{a="1",b="2"}` with labels sorted by name. */
export function seriesName(s: Sample): string {
  if (s.labels.length === 0) return s.name;
  const sorted = [...s.labels].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${s.name}{${sorted.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

async function parse(path: string, opts: { displayPath: string }): Promise<EvidencePart> {
  const { displayPath } = opts;
  if ((await fileSize(path, displayPath)) === 0) {
    throw new EvidenceError('EVIDENCE_EMPTY', displayPath, `report ${displayPath} is empty (0 bytes)`, {
      hint: 'the scrape or exporter wrote nothing',
    });
  }
  const families = new Map<string, { type?: string; unit?: string }>();
  const seen = new Set<string>();
  const metrics: Metric[] = [];
  let eofLine: number | undefined;
  let samples = 0;

  const family = (sample: string): { fam: string; suffix: string } => {
    if (families.has(sample)) return { fam: sample, suffix: '' };
    for (const s of SUFFIXES) if (sample.endsWith(s) && families.has(sample.slice(0, -s.length))) return { fam: sample.slice(0, -s.length), suffix: s };
    for (const s of SUFFIXES) if (sample.endsWith(s)) return { fam: sample.slice(0, -s.length), suffix: s };
    return { fam: sample, suffix: '' };
  };

  for await (const { text, lineNo } of readLines(path, { displayPath })) {
    const line = text.trim();
    if (line === '') continue;
    if (eofLine !== undefined) {
      throw new EvidenceError('EVIDENCE_MALFORMED', displayPath, `${displayPath}:${lineNo}: content after "# EOF" (line ${eofLine})`, { line: lineNo });
    }
    if (line.startsWith('#')) {
      if (line === '# EOF') {
        eofLine = lineNo;
        continue;
      }
      const meta = /^#\s+(TYPE|UNIT|HELP)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s+(.*))?$/.exec(line);
      if (meta && meta[1] !== 'HELP') {
        const f = families.get(meta[2]!) ?? {};
        if (meta[1] === 'TYPE') f.type = meta[3]?.trim();
        else f.unit = meta[3]?.trim();
        families.set(meta[2]!, f);
      }
      continue;
    }
    let sample: Sample;
    try {
      sample = parseSampleLine(line);
    } catch (err) {
      if (!(err instanceof SyntaxProblem)) throw err;
      throw new EvidenceError('EVIDENCE_MALFORMED', displayPath, `${displayPath}:${lineNo}:${err.col}: ${err.message}`, {
        line: lineNo,
        col: err.col,
        hint: 'the file is not Prometheus text exposition / OpenMetrics, or it was damaged',
      });
    }
    samples++;
    const series = seriesName(sample);
    if (seen.has(series)) {
      throw new EvidenceError('EVIDENCE_MALFORMED', displayPath, `${displayPath}:${lineNo}: series ${series} appears twice`, {
        line: lineNo,
        hint: 'concatenated scrapes? keep one scrape per file',
      });
    }
    seen.add(series);
    if (!Number.isFinite(sample.value)) continue;
    const { fam, suffix } = family(sample.name);
    let value = sample.value;
    let unit: string | undefined;
    if (suffix === '' || suffix === '_sum' || suffix === '_total') {
      const declared = families.get(fam)?.unit;
      const word = declared ?? /_(seconds|milliseconds|bytes)$/.exec(fam)?.[1];
      const conv = word === undefined ? undefined : UNIT_BY_WORD[word];
      if (conv) {
        value *= conv.factor;
        unit = conv.unit;
      } else if (declared) unit = declared;
    }
    metrics.push({ name: `metric.${series}`, value, ...(unit ? { unit } : {}), source: displayPath });
  }
  if (samples === 0) {
    throw new EvidenceError('EVIDENCE_EMPTY', displayPath, `report ${displayPath} has no samples`, {
      hint: 'the exporter exposed only metadata; check that it has recorded values',
    });
  }
  return { metrics };
}

/** Every non-blank line in the head is a comment or a sample (the last line may be cut). */
function sniff(head: string): boolean {
  const lines = head.split('\n');
  if (lines.length > 1) lines.pop();
  let samples = 0;
  let meta = false;
  for (const raw of lines.slice(0, 200)) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      if (/^#\s+(TYPE|HELP|UNIT)\s+[a-zA-Z_:]/.test(line) || line === '# EOF') meta = true;
      continue;
    }
    try {
      parseSampleLine(line);
      samples++;
    } catch {
      return false;
    }
  }
  return meta || samples > 0;
}

export const prometheusParser: FormatParser = { format: 'prometheus', sniff, parse };

/**
 * Shared by the coverage formats: counters (covered/total/pct), totals over files, and the one
 * streaming XML walk that Cobertura, JaCoCo and SonarQube generic coverage run on. Coverage XML from
 * big Java or C++ projects runs to hundreds of megabytes, so it is read in chunks and never held.
 */
import { SaxesParser } from 'saxes';
import { EvidenceError } from '../errors.js';
import type { Coverage, CoverageCounter, FileCoverage } from './model.js';
import { fileSize, readChunks } from './read.js';

export function counter(covered: number, total: number): CoverageCounter {
  // pct is kept unrounded so a gate at exactly 65% is not pushed across the line by rounding.
  return { covered, total, pct: total === 0 ? null : (covered / total) * 100 };
}

type CounterKey = 'lines' | 'branches' | 'functions' | 'statements';
const KEYS: readonly CounterKey[] = ['lines', 'branches', 'functions', 'statements'];

/** Totals as the sum of the files' counters; a kind no file has stays absent. */
export function totalsFromFiles(files: FileCoverage[]): Coverage {
  const cov: Coverage = { files };
  for (const key of KEYS) {
    let covered = 0;
    let total = 0;
    let seen = false;
    for (const f of files) {
      const c = f[key];
      if (!c) continue;
      seen = true;
      covered += c.covered;
      total += c.total;
    }
    if (seen) cov[key] = counter(covered, total);
  }
  return cov;
}

/** Per-line hit record: merges repeated entries for one line (several classes or records per file). */
export class LineHits {
  private readonly hits = new Map<number, number>();
  private readonly branches = new Map<number, { covered: number; total: number }>();

  addLine(line: number, hits: number): void {
    this.hits.set(line, Math.max(this.hits.get(line) ?? 0, hits));
  }

  addBranches(line: number, covered: number, total: number): void {
    const prev = this.branches.get(line);
    // The same line reported twice describes the same branches: keep the better-covered report.
    if (!prev || covered > prev.covered || total > prev.total) {
      this.branches.set(line, { covered: Math.max(covered, prev?.covered ?? 0), total: Math.max(total, prev?.total ?? 0) });
    }
  }

  get hasBranches(): boolean {
    return this.branches.size > 0;
  }

  lines(): CoverageCounter {
    let covered = 0;
    for (const h of this.hits.values()) if (h > 0) covered++;
    return counter(covered, this.hits.size);
  }

  branchCounter(): CoverageCounter {
    let covered = 0;
    let total = 0;
    for (const b of this.branches.values()) {
      covered += b.covered;
      total += b.total;
    }
    return counter(covered, total);
  }
}

/** A non-negative integer attribute, or a MALFORMED error naming the element and position. */
export function intAttr(
  attrs: Record<string, string>,
  name: string,
  ctx: { displayPath: string; element: string; line: number; col: number },
): number {
  const raw = attrs[name];
  const n = raw === undefined ? NaN : Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isInteger(n) || n < 0) {
    throw new EvidenceError(
      'EVIDENCE_MALFORMED',
      ctx.displayPath,
      `${ctx.displayPath}:${ctx.line}:${ctx.col}: <${ctx.element}> has ${raw === undefined ? `no ${name} attribute` : `${name}="${raw}", not a count`}`,
      { line: ctx.line, col: ctx.col, hint: 'the report is damaged or not written by a coverage tool' },
    );
  }
  return n;
}

export interface XmlOpen {
  name: string;
  attrs: Record<string, string>;
  /** Names of the enclosing elements, outermost first (excluding this one). */
  parents: readonly string[];
  line: number;
  col: number;
}

export interface XmlWalk {
  /** Root element this format requires; another root is EVIDENCE_MALFORMED. */
  root: string;
  /** What the format is called in messages ("Cobertura"). */
  label: string;
  /**
   * DOCTYPE contents this format legitimately carries (without internal subset). Anything else —
   * and any internal subset, where entity declarations live — is refused as EVIDENCE_UNSAFE.
   */
  allowedDoctypes?: readonly RegExp[];
  onOpen(tag: XmlOpen): void;
  onClose?(name: string, parents: readonly string[]): void;
  onText?(text: string, parents: readonly string[]): void;
}

/**
 * Stream an XML file through saxes, which never fetches external resources and expands only the
 * five predefined entities. Errors become EvidenceErrors with line:col: unclosed elements at end of
 * file are EVIDENCE_TRUNCATED, anything else not well-formed EVIDENCE_MALFORMED.
 */
export async function walkXml(path: string, displayPath: string, walk: XmlWalk): Promise<void> {
  if ((await fileSize(path, displayPath)) === 0) {
    throw new EvidenceError('EVIDENCE_EMPTY', displayPath, `report ${displayPath} is empty (0 bytes)`, {
      hint: 'the tool ran but wrote nothing; check that it finished and that its output option points here',
    });
  }
  const parser = new SaxesParser({ xmlns: false, position: true });
  const stack: string[] = [];
  let sawRoot = false;
  let sawText = false;

  parser.on('doctype', (doctype) => {
    const body = doctype.trim();
    const allowed = walk.allowedDoctypes ?? [];
    if (body.includes('[') || body.includes('<!') || !allowed.some((re) => re.test(body))) {
      throw new EvidenceError(
        'EVIDENCE_UNSAFE',
        displayPath,
        `${displayPath}:${parser.line}: refusing a DOCTYPE ${body.includes('[') ? 'with an internal subset (entity declarations)' : `"${body.slice(0, 80)}"`} in a ${walk.label} report`,
        { line: parser.line, hint: 'coverage reports need no DTD; entity declarations are how XML bombs and XXE work' },
      );
    }
  });
  parser.on('opentag', (tag) => {
    if (!sawRoot) {
      sawRoot = true;
      if (tag.name !== walk.root) {
        throw new EvidenceError(
          'EVIDENCE_MALFORMED',
          displayPath,
          `${displayPath}:${parser.line}: root element is <${tag.name}>, a ${walk.label} report has <${walk.root}>`,
          { line: parser.line, hint: 'the file is another kind of XML report; set the report format or point at the right file' },
        );
      }
    }
    walk.onOpen({ name: tag.name, attrs: tag.attributes as Record<string, string>, parents: stack, line: parser.line, col: parser.column + 1 });
    if (!tag.isSelfClosing) stack.push(tag.name);
  });
  parser.on('closetag', (tag) => {
    if (tag.isSelfClosing) return;
    stack.pop();
    walk.onClose?.(tag.name, stack);
  });
  if (walk.onText) {
    const onText = walk.onText;
    parser.on('text', (t) => {
      if (stack.length > 0) onText(t, stack);
    });
  }

  const decoder = new TextDecoder('utf-8', { fatal: true });
  const fail = (err: unknown): never => {
    if (err instanceof EvidenceError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    const truncated = /unclosed tag|unexpected end/i.test(msg) || (sawRoot && stack.length > 0 && /document must contain/i.test(msg));
    if (!sawRoot && /document must contain a root element/i.test(msg) && !sawText) {
      throw new EvidenceError('EVIDENCE_EMPTY', displayPath, `report ${displayPath} holds no XML element`, {
        hint: 'the tool ran but wrote nothing useful; check that it finished',
        cause: err,
      });
    }
    throw new EvidenceError(
      truncated ? 'EVIDENCE_TRUNCATED' : 'EVIDENCE_MALFORMED',
      displayPath,
      `${displayPath}:${parser.line}:${parser.column + 1}: ${truncated ? 'the XML ends early' : 'not well-formed XML'} (${msg.replace(/^[^:]*:\d+:\d+: /, '')})`,
      {
        line: parser.line,
        col: parser.column + 1,
        hint: truncated ? 'the tool was probably killed while writing it; rerun the gate' : `check that the gate points at the ${walk.label} report`,
        cause: err,
      },
    );
  };

  try {
    for await (const chunk of readChunks(path, { displayPath })) {
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch (err) {
        throw new EvidenceError('EVIDENCE_MALFORMED', displayPath, `report ${displayPath} is not UTF-8 text`, {
          hint: 'the file looks binary; point the gate at the report the tool writes',
          cause: err,
        });
      }
      if (text.includes('\u0000')) {
        throw new EvidenceError('EVIDENCE_MALFORMED', displayPath, `report ${displayPath} contains NUL bytes; it is not XML text`, {
          hint: 'the file looks binary; point the gate at the report the tool writes',
        });
      }
      if (!sawText && text.trim() !== '') sawText = true;
      parser.write(text);
    }
    parser.close();
  } catch (err) {
    fail(err);
  }
  if (!sawRoot) {
    throw new EvidenceError('EVIDENCE_EMPTY', displayPath, `report ${displayPath} holds no XML element`, {
      hint: 'the tool ran but wrote nothing useful; check that it finished',
    });
  }
}

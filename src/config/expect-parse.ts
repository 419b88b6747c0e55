/**
 * Parsing and static validation of expect assertions (the language is documented in
 * expect-paths.ts). Parsing is a hand-written scanner rather than a grammar library: the language
 * is three shapes, and a scanner gives the exact column every error message needs.
 */
import { closest, distance } from 'fastest-levenshtein';
import { ShipgateError } from '../errors.js';
import { lookupPath, splitPath, findBraceEnd, type PathInfo } from './expect-paths.js';
import { KNOWN_UNITS, SHOWN_UNITS, dimensionOf, parseQuantity } from './units.js';

export type Comparator = '==' | '!=' | '<' | '<=' | '>' | '>=';
export const COMPARATORS: readonly Comparator[] = ['==', '!=', '<', '<=', '>', '>='];

/** A number as written, converted to its canonical unit (`%`, `ms`, `B`) when it has one. */
export interface Quantity {
  value: number;
  unit?: string;
  /** The text as written, e.g. `0.2s`. */
  text: string;
  /** The unit as written (`s`), so results can be shown in the user's unit. */
  writtenUnit?: string;
}

export type Expectation =
  | { kind: 'compare'; source: string; path: string; op: Comparator; value: Quantity }
  | { kind: 'compare-baseline'; source: string; path: string; op: Comparator; offset?: Quantity }
  | { kind: 'within-baseline'; source: string; path: string };

export type ExpectErrorCode = 'EXPECT_SYNTAX' | 'EXPECT_UNKNOWN_PATH' | 'EXPECT_UNIT';

export class ExpectSyntaxError extends ShipgateError {
  declare readonly code: ExpectErrorCode;
  /** 1-based column inside the expression. */
  readonly column: number;
  readonly source: string;
  constructor(code: ExpectErrorCode, source: string, column: number, message: string, hint?: string) {
    super(code, `${message} at column ${column} in "${source}"`, { hint });
    this.column = column;
    this.source = source;
  }
}

const OPERATOR_START = new Set(['=', '!', '<', '>']);

/** Parse one assertion. Throws ExpectSyntaxError (EXPECT_SYNTAX or EXPECT_UNIT) with the column. */
export function parseExpectation(source: string): Expectation {
  const s = new Scanner(source);
  s.skipSpace();
  if (s.done()) throw s.error('empty expectation', 'write e.g. "tests.failed == 0"');
  const pathStart = s.pos;
  const path = s.readPath();
  const split = splitPath(path, pathStart);
  if (!split.ok) throw new ExpectSyntaxError('EXPECT_SYNTAX', source, split.column, split.message);
  const hadSpace = s.skipSpace();
  if (s.done()) throw s.error(`expected an operator (${COMPARATORS.join(' ')}) or "within baseline" after the path`);

  if (hadSpace && s.peekWord() === 'within') {
    s.readWord();
    s.skipSpace();
    const word = s.readWord();
    if (word !== 'baseline') throw s.error('expected "baseline" after "within"', 'write e.g. "bench.parse.mean within baseline"', s.pos - word.length);
    s.expectEnd();
    return { kind: 'within-baseline', source, path };
  }

  const op = s.readOperator();
  s.skipSpace();
  if (s.done()) throw s.error(`expected a value after "${op}"`, 'write a number with an optional unit, e.g. 65%, 200ms, 10MB, or "baseline"');
  if (s.peekWord() === 'baseline') {
    s.readWord();
    s.skipSpace();
    if (s.done()) return { kind: 'compare-baseline', source, path, op };
    const signAt = s.pos;
    const sign = s.next();
    if (sign !== '+' && sign !== '-') throw s.error('expected "+" or "-" after "baseline"', 'write e.g. "coverage.lines >= baseline - 1%"', signAt);
    s.skipSpace();
    const q = s.readQuantity();
    if (q.value < 0) throw s.error('the offset after "baseline +/-" must be positive', undefined, signAt);
    const offset = sign === '-' ? { ...q, value: -q.value } : q;
    s.expectEnd();
    return { kind: 'compare-baseline', source, path, op, offset };
  }
  const value = s.readQuantity();
  s.expectEnd();
  return { kind: 'compare', source, path, op, value };
}

class Scanner {
  pos = 0;
  constructor(readonly src: string) {}
  done(): boolean {
    return this.pos >= this.src.length;
  }
  next(): string {
    return this.src[this.pos++] ?? '';
  }
  error(message: string, hint?: string, at = this.pos): ExpectSyntaxError {
    return new ExpectSyntaxError('EXPECT_SYNTAX', this.src, at + 1, message, hint);
  }
  skipSpace(): boolean {
    const start = this.pos;
    while (!this.done() && /\s/.test(this.src[this.pos] as string)) this.pos++;
    return this.pos > start;
  }
  /** A path runs to the first space or operator character outside brackets, braces and quotes. */
  readPath(): string {
    const start = this.pos;
    while (!this.done()) {
      const ch = this.src[this.pos] as string;
      if (/\s/.test(ch) || OPERATOR_START.has(ch)) break;
      if (ch === '[') {
        const close = this.src.indexOf(']', this.pos);
        // Leave malformed brackets to splitPath, which reports them with a precise column.
        this.pos = close < 0 ? this.src.length : close + 1;
        continue;
      }
      if (ch === '{') {
        const close = findBraceEnd(this.src, this.pos);
        this.pos = close < 0 ? this.src.length : close + 1;
        continue;
      }
      this.pos++;
    }
    if (this.pos === start) throw this.error('expected a path such as tests.failed or coverage.lines');
    return this.src.slice(start, this.pos);
  }
  peekWord(): string {
    const m = /^[A-Za-z]+/.exec(this.src.slice(this.pos));
    return m ? m[0] : '';
  }
  readWord(): string {
    const w = this.peekWord();
    this.pos += w.length;
    return w;
  }
  readOperator(): Comparator {
    const at = this.pos;
    const two = this.src.slice(at, at + 2);
    if ((COMPARATORS as readonly string[]).includes(two)) {
      this.pos += 2;
      return two as Comparator;
    }
    const one = this.src[at] ?? '';
    if (one === '<' || one === '>') {
      this.pos += 1;
      return one;
    }
    if (two === '=>' || two === '=<') throw this.error(`unknown operator "${two}"`, `did you mean "${two[1]}${two[0]}"?`);
    if (one === '=') throw this.error('unknown operator "="', 'use "==" to compare for equality');
    const word = this.src.slice(at).split(/\s/)[0] ?? '';
    throw this.error(`expected an operator (${COMPARATORS.join(' ')}) or "within baseline", found "${word}"`);
  }
  readQuantity(): Quantity {
    const start = this.pos;
    const m = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(this.src.slice(start));
    if (!m) {
      const found = this.src.slice(start).split(/\s/)[0] ?? '';
      throw this.error(`expected a number, found "${found}"`, 'write a number with an optional unit, e.g. 65%, 200ms, 10MB, or "baseline"');
    }
    this.pos += m[0].length;
    // One optional space between number and unit (`200 ms`), but not before a following "+"/word.
    const afterNumber = this.pos;
    const spaced = this.skipSpace();
    // A rate is a unit over a time: `1MB/min`, `10/min`.
    const unitMatch = /^(?:%|[A-Za-z\u00b5]+(?:\/[a-z]+)?|\/[a-z]+)/.exec(this.src.slice(this.pos));
    let unit = '';
    // After a space only a known unit belongs to the number; any other word is trailing text.
    if (unitMatch && (!spaced || dimensionOf(unitMatch[0]) !== undefined)) {
      unit = unitMatch[0];
      this.pos += unit.length;
    } else {
      this.pos = afterNumber;
    }
    const unitAt = this.pos - unit.length;
    if (unit !== '' && dimensionOf(unit) === undefined) {
      // A case slip (`mb`, `Ms`) is the usual mistake, so a case-insensitive match wins over edit distance.
      const best = KNOWN_UNITS.find((u) => u.toLowerCase() === unit.toLowerCase()) ?? closest(unit, KNOWN_UNITS);
      const near = best !== undefined && distance(unit.toLowerCase(), best.toLowerCase()) <= 1;
      throw new ExpectSyntaxError(
        'EXPECT_UNIT',
        this.src,
        unitAt + 1,
        `unknown unit "${unit}"`,
        near ? `did you mean "${best}"? known units: ${SHOWN_UNITS.join(' ')}` : `known units: ${SHOWN_UNITS.join(' ')}`,
      );
    }
    const text = this.src.slice(start, this.pos).trim();
    const parsed = parseQuantity(text);
    if (!parsed.ok) throw this.error(`cannot read "${text}" as a number`, undefined, start);
    return { value: parsed.value, unit: parsed.unit, text, writtenUnit: unit === '' ? undefined : unit };
  }
  expectEnd(): void {
    this.skipSpace();
    if (!this.done()) throw this.error(`unexpected "${this.src.slice(this.pos)}" after the expectation`);
  }
}

/** The parsed path of a valid expectation (re-splits; parseExpectation already proved it splits). */
export function expectationPath(e: Expectation): { segments: string[]; info?: PathInfo } {
  const split = splitPath(e.path);
  if (!split.ok) return { segments: [] };
  const found = lookupPath(split.segments);
  return { segments: split.segments, info: found.ok ? found.info : undefined };
}

/**
 * Static check of a parsed expectation: is the path one we know, and can its unit apply? Paths
 * under metric.* and bench.* pass here; their units are checked when the evidence is read.
 */
export function checkExpectation(e: Expectation): ExpectSyntaxError | undefined {
  const col = e.source.indexOf(e.path) + 1;
  const split = splitPath(e.path, col - 1);
  if (!split.ok) return new ExpectSyntaxError('EXPECT_SYNTAX', e.source, split.column, split.message);
  const found = lookupPath(split.segments);
  if (!found.ok) return new ExpectSyntaxError('EXPECT_UNKNOWN_PATH', e.source, col, found.message, found.hint);
  const q = e.kind === 'compare' ? e.value : e.kind === 'compare-baseline' ? e.offset : undefined;
  if (!q || q.unit === undefined) return undefined;
  const dim = found.info.dim;
  const unitCol = e.source.lastIndexOf(q.text) + 1;
  if (dim === 'count') {
    return new ExpectSyntaxError(
      'EXPECT_UNIT',
      e.source,
      unitCol,
      `${e.path} is a count and takes no unit, found "${q.text}"`,
      e.path.startsWith('tests.') ? 'for a ratio of passing tests use tests.pass-rate' : undefined,
    );
  }
  if (dim === 'percent' && q.unit !== '%') {
    return new ExpectSyntaxError('EXPECT_UNIT', e.source, unitCol, `${e.path} is a percentage; "${q.text}" is not`, 'write e.g. 65%');
  }
  return undefined;
}

/** Static check of a parsed expectation; the message (with column and hint) or undefined when valid. */
export function validateExpectation(e: Expectation): string | undefined {
  const err = checkExpectation(e);
  if (!err) return undefined;
  return err.hint ? `${err.message} (${err.hint}) [${err.code}]` : `${err.message} [${err.code}]`;
}

/** Parse and validate in one step, for config loading: throws the first problem as ExpectSyntaxError. */
export function compileExpectation(source: string): Expectation {
  const e = parseExpectation(source);
  const err = checkExpectation(e);
  if (err) throw err;
  return e;
}

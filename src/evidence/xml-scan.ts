/**
 * A small streaming XML scanner over raw UTF-8 bytes, for report formats with few element kinds
 * (JUnit). It exists because a general parser spends most of its time and memory on what reports
 * do not need: decoding the whole file into strings, text events for every whitespace run, a
 * string and an object per attribute. Here the file is read into one reused Buffer, markup is
 * found with byte comparisons, and a string is made only for what the caller asks for (an
 * attribute value, wanted text), directly from the bytes: fresh flat strings that pin no chunk.
 * Figures in bench/junit-parse.ts.
 *
 * It still checks what makes a file trustworthy: the bytes are UTF-8 without NULs, tags nest and
 * match, attributes are quoted and unique, entity and character references are the predefined
 * ones or valid code points (in every attribute and text, read or not), nothing but markup and
 * whitespace sits outside the root element, and input that stops mid-token or with open
 * elements is reported as truncated. DTDs are never interpreted: the DOCTYPE text is handed to
 * `onDoctype`, whose caller refuses entity declarations and external references, and an entity
 * the scanner does not know is an error, so nothing is ever expanded or fetched.
 *
 * Memory is bounded by the read buffer plus the longest single tag (MAX_TAG_BYTES); text,
 * comment and CDATA bodies are streamed through, never buffered whole.
 */
import { isUtf8 } from 'node:buffer';
import { open } from 'node:fs/promises';

export interface XmlHandlers {
  /** `tag` describes the start tag just read; it is only valid during the call. */
  onOpen(name: string, tag: XmlTag): void;
  onClose(name: string): void;
  /** Is character data wanted right now? Only then is it decoded and passed to `onText`. */
  wantText(): boolean;
  /** Character data (references decoded) and CDATA, in pieces. */
  onText(text: string): void;
  onDoctype(text: string, offset: number): void;
}

/**
 * A well-formedness problem at byte `offset` of the file. Lines are not counted while scanning
 * (counting every newline of a large file costs more than it is worth for the rare error); the
 * caller finds line and column from the offset.
 */
export class XmlSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly truncated: boolean,
  ) {
    super(message);
  }
}

/** The bytes are not UTF-8 (or hold a NUL) at byte `offset`. */
export class XmlEncodingError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Longest start tag (or DOCTYPE, or processing instruction) accepted. */
export const MAX_TAG_BYTES = 8 * 1024 * 1024;
/** Read size: large enough that per-read overhead is negligible, small enough to stay in cache. */
export const READ_BYTES = 256 * 1024;

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const AMP = 0x26;
const SEMI = 0x3b;

/** Flags of an attribute value, found while scanning it, so clean values skip all decoding. */
const F_NONASCII = 1;
const F_AMP = 2;
const F_CTRL = 4;

/**
 * Byte classes, one table load per byte in the hot loops. NAME_END: ends a tag or attribute name
 * (whitespace/controls, `/`, `>`, `=`, quotes, `<`). VALUE_SPECIAL: needs a look inside an
 * attribute value (quotes, `&`, `<`, controls, non-ASCII).
 */
const NAME_END = 1;
const VALUE_SPECIAL = 2;
const BYTE_CLASS = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  if (c <= 0x20 || c === 0x2f || c === 0x3e || c === 0x3d || c === 0x22 || c === 0x27 || c === 0x3c) BYTE_CLASS[c]! |= NAME_END;
  if (c < 0x20 || c === 0x22 || c === 0x27 || c === 0x26 || c === 0x3c || c >= 0x80) BYTE_CLASS[c]! |= VALUE_SPECIAL;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

function allSpace(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isSpace(b[i]!)) return false;
  return true;
}

function startsWithAscii(b: Uint8Array, at: number, s: string): boolean {
  if (at + s.length > b.length) return false;
  for (let k = 0; k < s.length; k++) if (b[at + k] !== s.charCodeAt(k)) return false;
  return true;
}

/** Do bytes [start, end) hold exactly the ASCII string `s`? */
function bytesEqual(b: Uint8Array, start: number, end: number, s: string): boolean {
  if (end - start !== s.length) return false;
  for (let k = 0; k < s.length; k++) if (b[start + k] !== s.charCodeAt(k)) return false;
  return true;
}

function isAscii(s: string): boolean {
  for (let k = 0; k < s.length; k++) if (s.charCodeAt(k) >= 0x80) return false;
  return true;
}

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const ENTITY_RE = /&([^;&\s<]*)(;?)/g;

/** Replace predefined entity and character references; anything else is an error. */
function decodeRefs(raw: string, fail: (message: string) => Error): string {
  return raw.replace(ENTITY_RE, (_m, ref: string, semi: string) => {
    if (!semi) throw fail(`'&' not followed by an entity reference ending in ';'`);
    const p = PREDEFINED[ref];
    if (p !== undefined) return p;
    if (ref.startsWith('#')) {
      const hex = ref[1] === 'x';
      const okSyntax = hex ? /^#x[0-9a-fA-F]+$/.test(ref) : /^#\d+$/.test(ref);
      const cp = hex ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
      if (
        okSyntax &&
        Number.isInteger(cp) &&
        (cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff))
      ) {
        return String.fromCodePoint(cp);
      }
      throw fail(`invalid character reference &${ref};`);
    }
    throw fail(`undefined entity &${ref};`);
  });
}

/**
 * Remembers the last raw value read through it and the string made from it: consecutive
 * elements repeat the same classname/file/suite, so a hit costs a byte comparison and no string.
 */
export class RepeatCache {
  raw = Buffer.alloc(64);
  len = -1;
  value = '';
}

/** The start tag being reported to `onOpen`: attribute names, and values decoded on request. */
export class XmlTag {
  /** Bytes the tag lies in; valid only during `onOpen`. */
  buf: Buffer = Buffer.alloc(0);
  /** Byte offset of the tag's `<` in the file (for errors). */
  offset = 0;
  count = 0;
  readonly keys: string[] = [];
  /** [start, end, flags] of each value, in `buf`. */
  spans = new Int32Array(3 * 16);

  key(i: number): string {
    return this.keys[i]!;
  }

  /** Index of attribute `key`, or -1. */
  indexOf(key: string): number {
    for (let i = 0; i < this.count; i++) if (this.keys[i] === key) return i;
    return -1;
  }

  /** The value of attribute `i`: references decoded, literal line breaks and tabs as spaces. */
  value(i: number): string {
    const s = this.spans[3 * i]!;
    const e = this.spans[3 * i + 1]!;
    const f = this.spans[3 * i + 2]!;
    let v = this.buf.toString(f & F_NONASCII ? 'utf8' : 'latin1', s, e);
    // Literal line breaks and tabs in attribute values normalise to spaces (XML 1.0 §3.3.3).
    if (f & F_CTRL) v = v.replace(/\r\n|[\t\n\r]/g, ' ');
    if (f & F_AMP) v = decodeRefs(v, (m) => new XmlSyntaxError(m, this.offset, false));
    return v;
  }

  /** True when value `i` is plain ASCII text: no references, no line breaks, tabs or controls. */
  plain(i: number): boolean {
    return this.spans[3 * i + 2] === 0;
  }

  /** `value(i)`, but the previous string when the raw bytes equal the last ones read via `cache`. */
  cachedValue(i: number, cache: RepeatCache): string {
    const s = this.spans[3 * i]!;
    const len = this.spans[3 * i + 1]! - s;
    const b = this.buf;
    if (len === cache.len) {
      const raw = cache.raw;
      let k = 0;
      while (k < len && raw[k] === b[s + k]) k++;
      if (k === len) return cache.value;
    }
    const v = this.value(i);
    if (len > cache.raw.length) cache.raw = Buffer.alloc(Math.max(len, cache.raw.length * 2));
    b.copy(cache.raw, 0, s, s + len);
    cache.len = len;
    cache.value = v;
    return v;
  }

  /**
   * A plain decimal value (`12`, `0.045`) as a number without making a string, or NaN when the
   * value is anything else (the caller then parses `value(i)` its own way). Up to 15 digits, so
   * the one division is exact-rounded: the same double `Number()` would give.
   */
  decimal(i: number): number {
    const s = this.spans[3 * i]!;
    const e = this.spans[3 * i + 1]!;
    const b = this.buf;
    let n = 0;
    let scale = 1;
    let digits = 0;
    let dot = false;
    for (let k = s; k < e; k++) {
      const c = b[k]!;
      if (c >= 0x30 && c <= 0x39) {
        n = n * 10 + (c - 0x30);
        if (dot) scale *= 10;
        if (++digits > 15) return NaN;
      } else if (c === 0x2e && !dot && k > s) dot = true;
      else return NaN;
    }
    return digits === 0 ? NaN : n / scale;
  }
}

const CONTENT = 0;
const COMMENT = 1;
const CDATA = 2;

export class XmlScanner {
  private mode = CONTENT;
  private readonly stack: string[] = [];
  private rootSeen = false;
  private rootClosed = false;
  private markupSeen = false;
  private bomChecked = false;
  /** Bytes the last final scan could not consume (a cut token). */
  private pending = 0;
  private readonly tag = new XmlTag();
  /** Element and attribute names seen so far, by length: reports repeat a handful. */
  private readonly names: string[][] = [];
  private nameCount = 0;

  /** `known`: names to reuse as they are (string literals compare fastest). */
  constructor(
    private readonly h: XmlHandlers,
    known: readonly string[] = [],
  ) {
    for (const k of known) if (isAscii(k)) this.remember(k);
  }

  get depth(): number {
    return this.stack.length;
  }

  get sawRoot(): boolean {
    return this.rootSeen;
  }

  /** Anything but whitespace (and a BOM) seen? */
  get sawContent(): boolean {
    return this.markupSeen;
  }

  private fail(message: string, offset: number, truncated = false): XmlSyntaxError {
    return new XmlSyntaxError(message, offset, truncated);
  }

  private remember(name: string): void {
    // Bounded, so a file of made-up names costs time linear in its size.
    if (this.nameCount >= 128 || name.length > 64) return;
    this.nameCount++;
    (this.names[name.length] ??= []).push(name);
  }

  private name(b: Buffer, start: number, end: number): string {
    const same = this.names[end - start];
    if (same !== undefined) {
      for (let k = 0; k < same.length; k++) {
        const n = same[k]!;
        if (bytesEqual(b, start, end, n)) return n;
      }
    }
    let ascii = true;
    for (let k = start; k < end; k++) if (b[k]! >= 0x80) ascii = false;
    const n = b.toString(ascii ? 'latin1' : 'utf8', start, end);
    if (ascii) this.remember(n);
    return n;
  }

  /**
   * Scan bytes [0, end) of `buf`, which start at byte `base` of the file and end on a character
   * boundary. Returns how many were consumed; the caller passes the rest again, followed by more
   * input. `final`: nothing follows.
   */
  scan(buf: Buffer, end: number, base: number, final: boolean): number {
    // A view bounded by `end`, so Buffer#indexOf cannot see stale bytes past it.
    const b = end === buf.length ? buf : buf.subarray(0, end);
    let pos = 0;
    if (!this.bomChecked) {
      if (end < 3 && !final) return 0;
      this.bomChecked = true;
      if (end >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) pos = 3;
    }
    let nextAmp = -1;
    const h = this.h;
    const stack = this.stack;
    const tag = this.tag;
    for (;;) {
      if (this.mode !== CONTENT) {
        const cdata = this.mode === CDATA;
        const close = b.indexOf(cdata ? ']]>' : '-->', pos, 'latin1');
        if (close === -1) {
          // Stream the body through, keeping the last two bytes in case the terminator is split
          // (and whole characters, so a piece of wanted text never ends mid-character).
          let keep = Math.max(pos, end - 2);
          while (keep > pos && (b[keep]! & 0xc0) === 0x80) keep--;
          if (cdata && keep > pos && h.wantText()) h.onText(b.toString('utf8', pos, keep));
          if (final) this.setPending(keep, end);
          return keep;
        }
        if (cdata && close > pos && h.wantText()) h.onText(b.toString('utf8', pos, close));
        pos = close + 3;
        this.mode = CONTENT;
        continue;
      }

      // Find the next '<', noting an '&' on the way: a short loop for the usual few bytes of
      // indentation, memchr (Buffer#indexOf) for long text.
      let lt = pos;
      let amp = false;
      const near = Math.min(end, pos + 64);
      let c = 0;
      while (lt < near && (c = b[lt]!) !== LT) {
        if (c === AMP) amp = true;
        lt++;
      }
      if (lt === near && lt < end) {
        lt = b.indexOf(LT, lt);
        if (nextAmp < pos) nextAmp = b.indexOf(AMP, pos) >>> 0;
        if (nextAmp < (lt === -1 ? end : lt)) amp = true;
      } else if (lt === end) lt = -1;

      if (lt === -1) {
        let upto = end;
        if (!final && amp) {
          // Keep a trailing, possibly split reference for the next chunk.
          const last = b.lastIndexOf(AMP, end - 1);
          if (last >= pos && b.indexOf(SEMI, last) === -1) upto = last;
        }
        if (upto > pos) this.text(b, pos, upto, amp, base);
        pos = upto;
        if (final) this.setPending(pos, end);
        return pos;
      }
      if (lt > pos) this.text(b, pos, lt, amp, base);
      pos = lt;
      this.markupSeen = true;
      if (end - lt < 9 && !final) return pos; // need enough to tell `<![CDATA[` / `<!--` apart
      const c1 = b[lt + 1];

      if (c1 === SLASH) {
        let gt = lt + 2;
        while (gt < end && b[gt] !== GT) gt++;
        if (gt === end) {
          if (end - lt > MAX_TAG_BYTES) throw this.fail('closing tag too long', base + lt);
          if (final) this.setPending(pos, end);
          return pos;
        }
        const open = stack.pop();
        // Compare in place: no string per closing tag.
        let e = lt + 2;
        let same = open !== undefined;
        if (open !== undefined) {
          if (isAscii(open)) {
            same = bytesEqual(b, e, Math.min(e + open.length, gt), open);
            e += open.length;
          } else {
            const ob = Buffer.from(open, 'utf8');
            same = e + ob.length <= gt && ob.equals(b.subarray(e, e + ob.length));
            e += ob.length;
          }
        }
        while (e < gt && isSpace(b[e]!)) e++;
        if (!same || e !== gt) {
          const closing = b.toString('utf8', lt + 2, gt).trim();
          if (open === undefined) throw this.fail(`closing tag </${closing}> without an open element`, base + lt);
          throw this.fail(`closing tag </${closing}> does not match <${open}>`, base + lt);
        }
        h.onClose(open!);
        if (stack.length === 0) this.rootClosed = true;
        pos = gt + 1;
        continue;
      }

      if (c1 === 0x3f /* ? */) {
        const close = b.indexOf('?>', lt + 2, 'latin1');
        if (close === -1) {
          if (end - lt > MAX_TAG_BYTES) throw this.fail('processing instruction too long', base + lt);
          if (final) this.setPending(pos, end);
          return pos;
        }
        pos = close + 2;
        continue;
      }

      if (c1 === 0x21 /* ! */) {
        if (startsWithAscii(b, lt, '<!--')) {
          this.mode = COMMENT;
          pos = lt + 4;
          continue;
        }
        if (startsWithAscii(b, lt, '<![CDATA[')) {
          if (stack.length === 0) throw this.fail('CDATA section outside the root element', base + lt);
          this.mode = CDATA;
          pos = lt + 9;
          continue;
        }
        if (startsWithAscii(b, lt, '<!DOCTYPE')) {
          if (this.rootSeen) throw this.fail('DOCTYPE after the root element started', base + lt);
          const bracket = b.indexOf(0x5b /* [ */, lt);
          let gt = b.indexOf(GT, lt);
          if (bracket !== -1 && (gt === -1 || bracket < gt)) {
            const close = b.indexOf(0x5d /* ] */, bracket);
            gt = close === -1 ? -1 : b.indexOf(GT, close);
          }
          if (gt === -1) {
            // Hand over what we have: a DTD is refused on sight, complete or not.
            const tooLong = end - lt > MAX_TAG_BYTES;
            if (tooLong || final) h.onDoctype(b.toString('utf8', lt, end), base + lt);
            if (tooLong) throw this.fail('DOCTYPE too long', base + lt);
            if (final) this.setPending(pos, end);
            return pos;
          }
          h.onDoctype(b.toString('utf8', lt, gt + 1), base + lt);
          pos = gt + 1;
          continue;
        }
        throw this.fail('unexpected markup declaration', base + lt);
      }

      // Start tag. On large reports this is most of the work: plain byte comparisons, values
      // recorded as spans, no string made unless the handler asks. A tag cut by the end of the
      // buffer waits for more input (bounded); it is malformed only once complete.
      let i = lt + 1;
      while (i < end && (BYTE_CLASS[b[i]!]! & NAME_END) === 0) i++;
      if (i >= end) {
        this.defer(final, lt, end, base);
        return pos;
      }
      if (i === lt + 1) throw this.fail('invalid tag name', base + lt);
      const name = this.name(b, lt + 1, i);
      tag.buf = b;
      tag.offset = base + lt;
      const keys = tag.keys;
      let spans = tag.spans;
      let count = 0;
      let selfClosing = false;
      let gt = -1;
      let cut = false;
      for (;;) {
        const wsStart = i;
        while (i < end && isSpace(b[i]!)) i++;
        if (i >= end) {
          cut = true;
          break;
        }
        const ch = b[i]!;
        if (ch === GT) {
          gt = i;
          break;
        }
        if (ch === SLASH) {
          if (i + 1 >= end) {
            cut = true;
            break;
          }
          if (b[i + 1] !== GT) throw this.fail(`malformed start tag <${name}>: '/' not followed by '>'`, base + i);
          selfClosing = true;
          gt = i + 1;
          break;
        }
        if (i === wsStart) throw this.fail(`malformed start tag <${name}>: attributes must be separated by whitespace`, base + i);
        const keyStart = i;
        while (i < end && (BYTE_CLASS[b[i]!]! & NAME_END) === 0) i++;
        const keyEnd = i;
        while (i < end && isSpace(b[i]!)) i++;
        if (i >= end) {
          cut = true;
          break;
        }
        if (keyEnd === keyStart || b[i] !== 0x3d /* = */) throw this.fail(`malformed attribute in <${name}>`, base + i);
        i++;
        while (i < end && isSpace(b[i]!)) i++;
        if (i >= end) {
          cut = true;
          break;
        }
        const q = b[i]!;
        const key = this.name(b, keyStart, keyEnd);
        if (q !== 0x22 && q !== 0x27) throw this.fail(`attribute ${key} of <${name}> is not quoted`, base + i);
        const vStart = ++i;
        let flags = 0;
        let vc = 0;
        for (; i < end; i++) {
          vc = b[i]!;
          if ((BYTE_CLASS[vc]! & VALUE_SPECIAL) === 0) continue;
          if (vc === q) break;
          if (vc === AMP) flags |= F_AMP;
          else if (vc === LT) throw this.fail("'<' is not allowed in an attribute value", base + lt);
          else if (vc < 0x20) flags |= F_CTRL;
          else if (vc >= 0x80) flags |= F_NONASCII;
        }
        if (i >= end) {
          cut = true;
          break;
        }
        for (let k = 0; k < count; k++) {
          if (keys[k] === key) throw this.fail(`attribute ${key} repeated on <${name}>`, base + lt);
        }
        if (3 * count + 3 > spans.length) {
          const grown = new Int32Array(spans.length * 2);
          grown.set(spans);
          spans = tag.spans = grown;
        }
        keys[count] = key;
        spans[3 * count] = vStart;
        spans[3 * count + 1] = i;
        spans[3 * count + 2] = flags;
        count++;
        // References are checked in every value, also those nobody reads.
        if (flags & F_AMP) {
          tag.count = count;
          tag.value(count - 1);
        }
        i++;
      }
      if (cut) {
        this.defer(final, lt, end, base);
        return pos;
      }
      tag.count = count;
      if (stack.length === 0) {
        if (this.rootClosed) throw this.fail(`second root element <${name}>`, base + lt);
        this.rootSeen = true;
      }
      stack.push(name);
      pos = gt + 1;
      h.onOpen(name, tag);
      if (selfClosing) {
        stack.pop();
        h.onClose(name);
        if (stack.length === 0) this.rootClosed = true;
      }
    }
  }

  /** A start tag that does not parse yet may just be cut by the end of the buffer: wait, within bounds. */
  private defer(final: boolean, lt: number, end: number, base: number): void {
    if (end - lt > MAX_TAG_BYTES) throw this.fail('start tag too long', base + lt);
    if (final) this.setPending(lt, end);
  }

  private setPending(pos: number, end: number): void {
    this.pending = end - pos;
  }

  private text(b: Buffer, start: number, end: number, amp: boolean, base: number): void {
    if (this.stack.length === 0) {
      if (!allSpace(b, start, end)) {
        this.markupSeen = true;
        throw this.fail(this.rootClosed ? 'text after the root element' : 'text before the root element', base + start);
      }
      return;
    }
    const wanted = this.h.wantText();
    if (!wanted && !amp) return;
    const raw = b.toString('utf8', start, end);
    const text = amp ? decodeRefs(raw, (m) => this.fail(m, base + start)) : raw;
    if (wanted) this.h.onText(text);
  }

  /** Signal end of input (after a final `scan`): throws when the document is incomplete. */
  end(fileEnd: number): void {
    if (this.mode !== CONTENT || this.pending > 0 || this.stack.length > 0) {
      const what =
        this.mode === COMMENT
          ? 'inside a comment'
          : this.mode === CDATA
            ? 'inside a CDATA section'
            : this.pending > 0
              ? 'inside a tag'
              : `with ${this.stack.length} element(s) still open (innermost <${this.stack[this.stack.length - 1]}>)`;
      throw this.fail(`input ends ${what}`, fileEnd, true);
    }
    if (!this.rootSeen) throw this.fail('no root element', fileEnd, true);
  }
}

/** Length of `b[0, end)` without a trailing, incomplete UTF-8 sequence. */
function completeUtf8(b: Uint8Array, start: number, end: number): number {
  for (let back = 1; back <= 3 && end - back >= start; back++) {
    const c = b[end - back]!;
    if ((c & 0xc0) === 0x80) continue;
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return need > back ? end - back : end;
  }
  return end;
}

/**
 * Read the file at `path` through `scanner` with one reused buffer. Throws fs errors as they are,
 * `XmlEncodingError` for bytes that are not UTF-8 or a NUL, `XmlSyntaxError` from the scanner.
 * Leaves the end-of-document checks (`scanner.end`) to the caller, which may first want to tell
 * an empty file apart. Returns the file's size in bytes.
 */
export async function scanFile(path: string, scanner: XmlScanner, readBytes = READ_BYTES): Promise<number> {
  const fh = await open(path, 'r');
  // Two staging buffers: the next read is in flight while this one is scanned (the reads are
  // otherwise a tenth of the parse time spent waiting).
  const staging = [Buffer.allocUnsafe(readBytes), Buffer.allocUnsafe(readBytes)];
  let turn = 0;
  let fileAt = 0;
  const readNext = (): Promise<{ bytesRead: number; buffer: Buffer }> => {
    const target = staging[turn]!;
    turn ^= 1;
    return fh.read(target, 0, target.length, fileAt);
  };
  let inFlight: Promise<{ bytesRead: number; buffer: Buffer }> | undefined;
  try {
    let buf = Buffer.allocUnsafe(2 * readBytes);
    /** Bytes held in `buf`, starting at file byte `base`; the first `checked` of them are valid UTF-8. */
    let filled = 0;
    let checked = 0;
    let base = 0;
    inFlight = readNext();
    for (;;) {
      // Always set here: the first read starts before the loop, each next one before scanning.
      const { bytesRead, buffer: got } = await inFlight!;
      inFlight = undefined;
      fileAt += bytesRead;
      const final = bytesRead === 0;
      if (!final) inFlight = readNext();
      if (filled + bytesRead > buf.length) {
        // The scanner holds one token longer than the buffer (bounded by MAX_TAG_BYTES).
        const grown = Buffer.allocUnsafe(Math.max(buf.length * 2, filled + bytesRead));
        buf.copy(grown, 0, 0, filled);
        buf = grown;
      }
      got.copy(buf, filled, 0, bytesRead);
      filled += bytesRead;
      const upto = final ? filled : completeUtf8(buf, checked, filled);
      if (upto > checked) {
        const fresh = buf.subarray(checked, upto);
        const nul = fresh.indexOf(0);
        if (nul !== -1) throw new XmlEncodingError('contains a NUL byte', base + checked + nul);
        if (!isUtf8(fresh)) {
          if (final && scanner.sawRoot && isUtf8(fresh.subarray(0, completeUtf8(fresh, 0, fresh.length)))) {
            // A multi-byte character cut in half at the very end: the file was cut mid-write.
            throw new XmlSyntaxError('input ends inside a character', base + filled, true);
          }
          throw new XmlEncodingError('invalid UTF-8', base + checked);
        }
        checked = upto;
      }
      const used = scanner.scan(buf, checked, base, final);
      if (final) return base + filled;
      if (used > 0) {
        buf.copy(buf, 0, used, filled);
        filled -= used;
        checked -= used;
        base += used;
      }
    }
  } finally {
    // Let a read still in flight finish before closing the file under it.
    await inFlight?.catch(() => undefined);
    await fh.close();
  }
}

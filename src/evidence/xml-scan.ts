/**
 * A small streaming XML scanner for report formats with few element kinds (JUnit). It exists
 * because a general SAX parser spends most of its time on what reports do not need (per-character
 * state machines, text events for every whitespace run, namespace and name-character tables):
 * jumping between `<` with indexOf and reading a tag's attributes with one sticky regex is several
 * times faster on a 500k-test file (figures in bench/junit-parse.ts).
 *
 * It still checks what makes a file trustworthy: tags nest and match, attributes are quoted and
 * unique, entity and character references are the predefined ones or valid code points, nothing
 * but markup and whitespace sits outside the root element, and input that stops mid-token or
 * with open elements is reported as truncated. DTDs are never interpreted: the DOCTYPE text is
 * handed to `onDoctype`, whose caller refuses entity declarations and external references, and
 * an entity the scanner does not know is an error, so nothing is ever expanded or fetched.
 *
 * Memory is bounded by the chunk size plus the longest single tag; comment and CDATA bodies are
 * streamed through, not buffered.
 */

export interface XmlHandlers {
  /** `attrs` is a flat [name, value, name, value, …] list; read it with `attr()`. */
  onOpen(name: string, attrs: readonly string[]): void;
  onClose(name: string): void;
  /** Character data (entities decoded) and CDATA, in pieces; only called while `wantText()` is true. */
  onText?(text: string): void;
  wantText?(): boolean;
  onDoctype?(text: string, offset: number): void;
}

/**
 * A well-formedness problem at character `offset` of the document. Line and column are not
 * tracked while scanning (counting every newline of a large file costs more than it is worth
 * for the rare error); `lineColAtCharOffset` in read.ts finds them from the offset.
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

/** Longest start tag accepted; anything longer is not a report a tool wrote. */
const MAX_TAG_CHARS = 8 * 1024 * 1024;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

/** Ends a tag or attribute name: whitespace, `/`, `>`, `=`, quotes, `<`. */
function isNameEnd(c: number): boolean {
  return c <= 0x20 || c === 0x2f || c === 0x3e || c === 0x3d || c === 0x22 || c === 0x27 || c === 0x3c;
}
const ENTITY_RE = /&([^;&\s<]*)(;?)/g;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

type Mode = 'content' | 'comment' | 'cdata';

/** The value of attribute `key` in a flat attribute list, or undefined. */
export function attr(attrs: readonly string[], key: string): string | undefined {
  for (let k = 0; k < attrs.length; k += 2) if (attrs[k] === key) return attrs[k + 1];
  return undefined;
}

export class XmlScanner {
  private buf = '';
  private pos = 0;
  /** Characters consumed before `buf` starts. */
  private consumed = 0;
  private mode: Mode = 'content';
  private readonly stack: string[] = [];
  private rootSeen = false;
  private rootClosed = false;
  private finished = false;
  /** Index in `buf` of the next '&' at or after some earlier position (2^32-1 when none). */
  private nextAmp = -1;

  constructor(private readonly h: XmlHandlers) {}

  get depth(): number {
    return this.stack.length;
  }

  get sawRoot(): boolean {
    return this.rootSeen;
  }

  /** Character offset in the document of the unconsumed input. */
  get offset(): number {
    return this.consumed + this.pos;
  }

  write(chunk: string): void {
    if (this.pos < this.buf.length) {
      // Joining leaves a cons string, and charCodeAt on a cons (even once flattened) is several
      // times slower than on a flat one. Flatten explicitly (indexOf does), then take a slice,
      // which V8 backs directly by the flat copy.
      const joined = ` ${this.buf.slice(this.pos)}${chunk}`;
      joined.indexOf('\0');
      this.buf = joined.slice(1);
    } else this.buf = chunk;
    this.pos = 0;
    this.nextAmp = -1;
    this.scan(false);
    this.compact();
  }

  /** Signal end of input: throws when the document is incomplete. */
  end(): void {
    this.scan(true);
    this.finished = true;
    if (this.mode !== 'content' || this.pos < this.buf.length || this.stack.length > 0) {
      const what =
        this.mode === 'comment'
          ? 'inside a comment'
          : this.mode === 'cdata'
            ? 'inside a CDATA section'
            : this.stack.length > 0
              ? `with ${this.stack.length} element(s) still open (innermost <${this.stack[this.stack.length - 1]}>)`
              : 'inside a tag';
      throw this.fail(`input ends ${what}`, this.buf.length, true);
    }
    if (!this.rootSeen) throw this.fail('no root element', this.buf.length, true);
  }

  get done(): boolean {
    return this.finished && this.rootClosed;
  }

  private compact(): void {
    if (this.pos === 0) return;
    this.consumed += this.pos;
    this.buf = this.buf.slice(this.pos);
    this.pos = 0;
    this.nextAmp = -1;
  }

  private fail(message: string, offset: number, truncated = false): XmlSyntaxError {
    return new XmlSyntaxError(message, this.consumed + offset, truncated);
  }

  private text(raw: string, offset: number): void {
    if (this.stack.length === 0) {
      if (raw.trim() !== '') {
        throw this.fail(this.rootClosed ? 'text after the root element' : 'text before the root element', offset);
      }
      return;
    }
    const wanted = this.h.wantText?.() ?? false;
    if (raw.includes('&')) {
      const decoded = this.decode(raw, offset);
      if (wanted) this.h.onText?.(decoded);
    } else if (wanted) this.h.onText?.(raw);
  }

  private decode(raw: string, offset: number): string {
    if (raw.includes('<')) throw this.fail("'<' is not allowed in an attribute value", offset);
    return raw.replace(ENTITY_RE, (_m, ref: string, semi: string) => {
      if (!semi) throw this.fail(`'&' not followed by an entity reference ending in ';'`, offset);
      const p = PREDEFINED[ref];
      if (p !== undefined) return p;
      if (ref.startsWith('#')) {
        const cp = ref[1] === 'x' ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
        const okSyntax = ref[1] === 'x' ? /^#x[0-9a-fA-F]+$/.test(ref) : /^#\d+$/.test(ref);
        if (
          okSyntax &&
          Number.isInteger(cp) &&
          (cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff))
        ) {
          return String.fromCodePoint(cp);
        }
        throw this.fail(`invalid character reference &${ref};`, offset);
      }
      throw this.fail(`undefined entity &${ref};`, offset);
    });
  }

  /** Attribute names seen so far: reports repeat a handful, so reuse them instead of slicing. */
  private readonly keys: string[] = [];

  private keyAt(start: number, end: number): string {
    const len = end - start;
    for (const k of this.keys) if (k.length === len && this.buf.startsWith(k, start)) return k;
    // A copy, not a view: a kept key must not pin the chunk it was read from.
    const key = len < 13 ? this.buf.slice(start, end) : `${this.buf.slice(start, end)} `.slice(0, -1);
    if (this.keys.length < 64) this.keys.push(key);
    return key;
  }

  /** A start tag that does not parse may just be cut by the chunk boundary: wait, within bounds. */
  private deferOr(final: boolean, lt: number, message: string, truncated: boolean): void {
    if (final || this.buf.length - lt > MAX_TAG_CHARS) throw this.fail(message, lt, truncated);
  }

  private scan(final: boolean): void {
    const b = this.buf;
    for (;;) {
      if (this.mode !== 'content') {
        const term = this.mode === 'comment' ? '-->' : ']]>';
        const end = b.indexOf(term, this.pos);
        if (end === -1) {
          // Stream the body through, keeping the last two characters in case the terminator is split.
          const keep = Math.max(this.pos, b.length - 2);
          if (this.mode === 'cdata' && keep > this.pos && (this.h.wantText?.() ?? false)) this.h.onText?.(b.slice(this.pos, keep));
          this.pos = keep;
          return;
        }
        if (this.mode === 'cdata' && end > this.pos && (this.h.wantText?.() ?? false)) this.h.onText?.(b.slice(this.pos, end));
        this.pos = end + 3;
        this.mode = 'content';
        continue;
      }

      const lt = b.indexOf('<', this.pos);
      if (lt === -1) {
        let upto = b.length;
        if (!final) {
          // Keep a trailing, possibly split entity reference for the next chunk.
          const amp = b.lastIndexOf('&');
          if (amp >= this.pos && b.indexOf(';', amp) === -1) upto = amp;
        }
        if (upto > this.pos) this.text(b.slice(this.pos, upto), this.pos);
        this.pos = upto;
        return;
      }
      if (lt > this.pos) {
        // Inside elements, text nobody asked for only needs its references checked: skip the
        // slice (and the garbage) unless it holds an '&'.
        if (this.stack.length > 0 && !(this.h.wantText?.() ?? false)) {
          if (this.nextAmp < this.pos) this.nextAmp = b.indexOf('&', this.pos) >>> 0;
          if (this.nextAmp < lt) this.decode(b.slice(this.pos, lt), this.pos);
        } else this.text(b.slice(this.pos, lt), this.pos);
      }
      this.pos = lt;
      if (b.length - lt < 9 && !final) return; // need enough to tell `<![CDATA[` / `<!--` apart
      const c = b.charCodeAt(lt + 1);

      if (c === 0x2f /* / */) {
        const gt = b.indexOf('>', lt);
        if (gt === -1) return;
        const open = this.stack.pop();
        // Compare in place: no slice per closing tag.
        let e = lt + 2 + (open?.length ?? 0);
        while (e < gt && isSpace(b.charCodeAt(e))) e++;
        if (open === undefined || e !== gt || !b.startsWith(open, lt + 2)) {
          const name = b.slice(lt + 2, gt).trim();
          if (open === undefined) throw this.fail(`closing tag </${name}> without an open element`, lt);
          throw this.fail(`closing tag </${name}> does not match <${open}>`, lt);
        }
        this.h.onClose(open);
        if (this.stack.length === 0) this.rootClosed = true;
        this.pos = gt + 1;
        continue;
      }

      if (c === 0x3f /* ? */) {
        const end = b.indexOf('?>', lt + 2);
        if (end === -1) return;
        this.pos = end + 2;
        continue;
      }

      if (c === 0x21 /* ! */) {
        if (b.startsWith('<!--', lt)) {
          this.mode = 'comment';
          this.pos = lt + 4;
          continue;
        }
        if (b.startsWith('<![CDATA[', lt)) {
          if (this.stack.length === 0) throw this.fail('CDATA section outside the root element', lt);
          this.mode = 'cdata';
          this.pos = lt + 9;
          continue;
        }
        if (b.startsWith('<!DOCTYPE', lt)) {
          if (this.rootSeen) throw this.fail('DOCTYPE after the root element started', lt);
          const bracket = b.indexOf('[', lt);
          let gt = b.indexOf('>', lt);
          if (bracket !== -1 && (gt === -1 || bracket < gt)) {
            const close = b.indexOf(']', bracket);
            gt = close === -1 ? -1 : b.indexOf('>', close);
          }
          if (gt === -1) {
            // Hand over what we have: a DTD is refused on sight, complete or not.
            if (b.length - lt > MAX_TAG_CHARS || final) this.h.onDoctype?.(b.slice(lt), this.consumed + lt);
            if (b.length - lt > MAX_TAG_CHARS) throw this.fail('DOCTYPE too long', lt);
            return;
          }
          this.h.onDoctype?.(b.slice(lt, gt + 1), this.consumed + lt);
          this.pos = gt + 1;
          continue;
        }
        throw this.fail('unexpected markup declaration', lt);
      }

      // Start tag, read by hand: on large reports this loop is most of the parse time, and
      // charCodeAt scanning beats regex matching plus the garbage of match arrays. A tag cut by
      // the chunk boundary waits for more input (bounded); it is malformed only once complete.
      const n = b.length;
      let i = lt + 1;
      while (i < n && !isNameEnd(b.charCodeAt(i))) i++;
      if (i >= n) return this.deferOr(final, lt, 'input ends inside a tag', true);
      if (i === lt + 1) throw this.fail('invalid tag name', lt);
      const name = b.slice(lt + 1, i);
      // A flat list, not an object: adding dynamic keys to an object is the costliest step of
      // a start tag; tags have a handful of attributes, so lookups by linear scan are cheap.
      const attrs: string[] = [];
      let selfClosing = false;
      let gt = -1;
      for (;;) {
        const wsStart = i;
        while (i < n && isSpace(b.charCodeAt(i))) i++;
        if (i >= n) return this.deferOr(final, lt, 'input ends inside a tag', true);
        const ch = b.charCodeAt(i);
        if (ch === 0x3e /* > */) {
          gt = i;
          break;
        }
        if (ch === 0x2f /* / */) {
          if (i + 1 >= n) return this.deferOr(final, lt, 'input ends inside a tag', true);
          if (b.charCodeAt(i + 1) !== 0x3e) throw this.fail(`malformed start tag <${name}>: '/' not followed by '>'`, i);
          selfClosing = true;
          gt = i + 1;
          break;
        }
        if (i === wsStart) throw this.fail(`malformed start tag <${name}>: attributes must be separated by whitespace`, i);
        const keyStart = i;
        while (i < n && !isNameEnd(b.charCodeAt(i))) i++;
        const key = this.keyAt(keyStart, i);
        while (i < n && isSpace(b.charCodeAt(i))) i++;
        if (i >= n) return this.deferOr(final, lt, 'input ends inside a tag', true);
        if (key.length === 0 || b.charCodeAt(i) !== 0x3d /* = */) throw this.fail(`malformed attribute in <${name}>`, i);
        i++;
        while (i < n && isSpace(b.charCodeAt(i))) i++;
        if (i >= n) return this.deferOr(final, lt, 'input ends inside a tag', true);
        const q = b.charCodeAt(i);
        if (q !== 0x22 && q !== 0x27) throw this.fail(`attribute ${key} of <${name}> is not quoted`, i);
        const vStart = ++i;
        let special = false;
        let vc = 0;
        while (i < n && (vc = b.charCodeAt(i)) !== q) {
          if (vc === 0x26 /* & */ || vc === 0x3c /* < */ || vc < 0x20) special = true;
          i++;
        }
        if (i >= n) return this.deferOr(final, lt, 'input ends inside a tag', true);
        let value = b.slice(vStart, i);
        i++;
        if (special) {
          // Literal line breaks and tabs in attribute values normalise to spaces (XML 1.0 §3.3.3).
          value = value.replace(/\r\n|[\t\n\r]/g, ' ');
          if (value.includes('&') || value.includes('<')) value = this.decode(value, lt);
        }
        for (let k = 0; k < attrs.length; k += 2) {
          if (attrs[k] === key) throw this.fail(`attribute ${key} repeated on <${name}>`, lt);
        }
        attrs.push(key, value);
      }
      if (this.stack.length === 0) {
        if (this.rootClosed) throw this.fail(`second root element <${name}>`, lt);
        this.rootSeen = true;
      }
      this.stack.push(name);
      this.pos = gt + 1;
      this.h.onOpen(name, attrs);
      if (selfClosing) {
        this.stack.pop();
        this.h.onClose(name);
        if (this.stack.length === 0) this.rootClosed = true;
      }
    }
  }
}

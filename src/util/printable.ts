/**
 * Text from gates — log tails, test names and messages, report fields, probe bodies, branch names —
 * is untrusted: a failing gate could print escape sequences that clear the screen, move the cursor
 * or recolour text, and then draw a fake `RESULT: RELEASE READY`. Everything shipgate prints from
 * such text passes through here first: escape sequences (colour codes, cursor moves, titles) are
 * removed, and every other control character — C0, DEL, C1 (U+009B is CSI to some terminals), the
 * line/paragraph separators and the bidirectional overrides that reorder what a reader sees — is
 * shown escaped as `\xNN` / `\uNNNN`, so it is visible and inert.
 */

/** CSI … final byte, OSC … BEL/ST, DCS/SOS/PM/APC … ST, and the two-byte ESC sequences. */
// eslint-disable-next-line no-control-regex
const ESCAPE_SEQUENCE = /\x1b(?:\[[0-?]*[ -/]*[@-~]?|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[PX^_][^\x1b]*(?:\x1b\\)?|[ -/]*[0-~]?)|\x9b[0-?]*[ -/]*[@-~]?/g;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u061c\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const CONTROL_OR_NEWLINE = /[\x00-\x1f\x7f-\x9f\u200e\u200f\u061c\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(ch: string): string {
  if (ch === '\n') return '\\n';
  if (ch === '\r') return '\\r';
  if (ch === '\t') return '\\t';
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Remove terminal escape sequences (a tool's colour codes) and nothing else. */
export function stripEscapes(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '');
}

/**
 * Safe to print: escape sequences removed, other control characters shown escaped. `multiline`
 * keeps newlines (and tabs) as they are — the caller indents each line under its item; otherwise a
 * newline is shown as `\n`, so a name can never start a line of its own.
 */
export function printable(text: string, opts: { multiline?: boolean } = {}): string {
  const stripped = stripEscapes(text);
  if (opts.multiline) return stripped.replace(/\r\n/g, '\n').replace(CONTROL, escapeChar);
  return stripped.replace(CONTROL_OR_NEWLINE, escapeChar);
}

/** Keys whose values are several lines of text by nature (messages); everything else is one line. */
const MULTILINE_KEYS = new Set(['message', 'body']);

/** A deep copy with every string made printable (see `printable`); for rendering untrusted records. */
export function printableDeep<T>(value: T, key = ''): T {
  if (typeof value === 'string') return printable(value, { multiline: MULTILINE_KEYS.has(key) }) as T;
  if (Array.isArray(value)) return value.map((v) => printableDeep(v, key)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = printableDeep(v, k);
    return out as T;
  }
  return value;
}

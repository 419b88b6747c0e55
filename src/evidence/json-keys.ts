/**
 * Duplicate keys in JSON objects. `JSON.parse` keeps the last of two equal keys without a word, so
 * `{"runs": [<a scan that failed>], "runs": []}` would read as a clean log. RFC 8259 only says
 * names SHOULD be unique; evidence that can say two things at once is refused.
 *
 * This runs after `JSON.parse` has accepted the text, so it may assume valid JSON: all it has to
 * do is tell keys from values and skip over strings. It walks the text once, jumping over string
 * contents with `indexOf` (native, fast), and allocates nothing per object: each nesting depth
 * reuses one small key list, switched to a Set only for objects with many keys.
 */

export interface DuplicateKey {
  /** The key as JSON.parse would read it (escapes decoded). */
  key: string;
  /** Character offset of the second occurrence's opening quote. */
  offset: number;
}

/** Objects up to this many keys are checked by linear search; bigger ones get a Set. */
const SMALL = 16;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

/** End (index of the closing quote) of the string whose opening quote is at `start`. */
function stringEnd(text: string, start: number): number {
  let end = start;
  for (;;) {
    end = text.indexOf('"', end + 1);
    if (end === -1) return text.length; // not valid JSON; JSON.parse would have refused it
    // Escaped when preceded by an odd number of backslashes.
    let k = end - 1;
    while (text.charCodeAt(k) === BACKSLASH) k--;
    if ((end - 1 - k) % 2 === 0) return end;
  }
}

/**
 * The first key that repeats within one object of `text` (valid JSON), or undefined.
 * Keys compare as decoded strings: `"a"` and `"\u0061"` are the same key.
 */
export function findDuplicateKey(text: string): DuplicateKey | undefined {
  // Per open container, indexed by depth.
  const isObject: boolean[] = [];
  const lists: string[][] = [];
  const counts: number[] = [];
  const sets: (Set<string> | undefined)[] = [];
  let depth = -1;
  let expectKey = false;
  const n = text.length;

  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (expectKey) {
        expectKey = false;
        let key = text.slice(i + 1, end);
        if (key.includes('\\')) key = JSON.parse(text.slice(i, end + 1)) as string;
        const set = sets[depth];
        if (set !== undefined) {
          if (set.has(key)) return { key, offset: i };
          set.add(key);
        } else {
          const list = lists[depth]!;
          const count = counts[depth]!;
          for (let k = 0; k < count; k++) if (list[k] === key) return { key, offset: i };
          if (count < SMALL) {
            list[count] = key;
            counts[depth] = count + 1;
          } else {
            const grown = new Set(list);
            grown.add(key);
            sets[depth] = grown;
          }
        }
      }
      i = end;
    } else if (c === OPEN_OBJECT) {
      depth++;
      isObject[depth] = true;
      counts[depth] = 0;
      if (lists[depth] === undefined) lists[depth] = [];
      expectKey = true;
    } else if (c === OPEN_ARRAY) {
      depth++;
      isObject[depth] = false;
      expectKey = false;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      sets[depth] = undefined;
      depth--;
      expectKey = false;
    } else if (c === COMMA) {
      expectKey = isObject[depth] === true;
    }
  }
  return undefined;
}

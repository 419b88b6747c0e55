/**
 * The key a test is stored under: 64-bit FNV-1a over the UTF-8 bytes of `project + '\0' + testId`,
 * truncated to its low 52 bits so that it is an exact JavaScript number (a safe integer) on the way
 * in and out of either database (`bigint` on PostgreSQL, INTEGER on SQLite).
 *
 * The key is a function of the text: the run computes it for every test without asking the store,
 * and the store computes the same key for an id it is asked about. Ids are compared as exact text
 * (no case folding, no Unicode normalisation), so ids that differ in case, whitespace or Unicode
 * form are different tests with (almost surely) different keys; the project is part of the hashed
 * text, so one id gets unrelated keys in two projects. Two different ids of one project share a key
 * with probability about n²/2⁵³ (1 in 9,000 for a million tests): such a pair would share history.
 *
 * The multiply by the 64-bit FNV prime (2⁴⁰ + 0x1b3) is done on 16-bit limbs (see State): no
 * BigInt, no division, no allocation per character.
 */

/** The FNV-1a-64 offset basis 0xcbf29ce484222325, as four 16-bit limbs, lowest first. */
const OFFSET: readonly [number, number, number, number] = [0x2325, 0x8422, 0x9ce4, 0xcbf2];
const TWO_16 = 65536;
const TWO_32 = 4294967296;

/**
 * Hash state between calls: the 64-bit FNV-1a state as four 16-bit limbs (h0 lowest). Limbs keep
 * every product below 2^26, so the multiply by the prime (2^40 + 0x1b3: 0x1b3 on each limb, plus
 * each limb shifted by 8 into the limb two places up) needs no division and no BigInt.
 */
interface State {
  h0: number;
  h1: number;
  h2: number;
  h3: number;
}

/** One byte into the state (the slow path: bytes of non-ASCII characters). */
function byte(st: State, b: number): void {
  const h0 = st.h0 ^ b;
  const t0 = h0 * 0x1b3;
  const t1 = st.h1 * 0x1b3;
  const t2 = st.h2 * 0x1b3 + (h0 << 8);
  const t3 = st.h3 * 0x1b3 + (st.h1 << 8);
  const h1 = t1 + (t0 >>> 16);
  const h2 = t2 + (h1 >>> 16);
  st.h0 = t0 & 0xffff;
  st.h1 = h1 & 0xffff;
  st.h2 = h2 & 0xffff;
  st.h3 = (t3 + (h2 >>> 16)) & 0xffff;
}

/** A code point's UTF-8 bytes (two or more) into the state. */
function codePoint(st: State, cp: number): void {
  if (cp < 0x800) {
    byte(st, 0xc0 | (cp >> 6));
  } else if (cp < 0x10000) {
    byte(st, 0xe0 | (cp >> 12));
    byte(st, 0x80 | ((cp >> 6) & 0x3f));
  } else {
    byte(st, 0xf0 | (cp >> 18));
    byte(st, 0x80 | ((cp >> 12) & 0x3f));
    byte(st, 0x80 | ((cp >> 6) & 0x3f));
  }
  byte(st, 0x80 | (cp & 0x3f));
}

/** Continue an FNV-1a-64 state over the UTF-8 encoding of `s` (lone surrogates as U+FFFD, as TextEncoder does). */
function feed(st: State, s: string): void {
  let h0 = st.h0;
  let h1 = st.h1;
  let h2 = st.h2;
  let h3 = st.h3;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      // ASCII, the hot path: one byte, inline (the same steps as `byte`).
      h0 ^= c;
      const t0 = h0 * 0x1b3;
      const t1 = h1 * 0x1b3;
      const t2 = h2 * 0x1b3 + (h0 << 8);
      const t3 = h3 * 0x1b3 + (h1 << 8);
      h1 = t1 + (t0 >>> 16);
      h0 = t0 & 0xffff;
      h2 = t2 + (h1 >>> 16);
      h1 &= 0xffff;
      h3 = (t3 + (h2 >>> 16)) & 0xffff;
      h2 &= 0xffff;
      continue;
    }
    let cp = c;
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else cp = 0xfffd;
    }
    st.h0 = h0;
    st.h1 = h1;
    st.h2 = h2;
    st.h3 = h3;
    codePoint(st, cp);
    h0 = st.h0;
    h1 = st.h1;
    h2 = st.h2;
    h3 = st.h3;
  }
  st.h0 = h0;
  st.h1 = h1;
  st.h2 = h2;
  st.h3 = h3;
}

function fresh(): State {
  return { h0: OFFSET[0], h1: OFFSET[1], h2: OFFSET[2], h3: OFFSET[3] };
}

/** The low 52 bits of a state, as a safe integer. */
function key52(st: State): number {
  return ((st.h3 & 0xf) * TWO_16 + st.h2) * TWO_32 + st.h1 * TWO_16 + st.h0;
}

/** Full 64-bit FNV-1a of `s`'s UTF-8 bytes, as [hi, lo] 32-bit halves (for tests against the reference). */
export function fnv1a64(s: string): [number, number] {
  const st = fresh();
  feed(st, s);
  return [(st.h3 * TWO_16 + st.h2) >>> 0, (st.h1 * TWO_16 + st.h0) >>> 0];
}

/** Computes keys for the tests of one project: the project's part of the hash is done once. */
export class TestKeyer {
  private readonly base: State;
  private readonly st: State = fresh();

  constructor(readonly project: string) {
    const st = fresh();
    feed(st, project);
    feed(st, '\0');
    this.base = st;
  }

  key(testId: string): number {
    const st = this.st;
    st.h0 = this.base.h0;
    st.h1 = this.base.h1;
    st.h2 = this.base.h2;
    st.h3 = this.base.h3;
    feed(st, testId);
    return key52(st);
  }
}

/** The stored key of `testId` in `project` (see the module comment). */
export function testKey(project: string, testId: string): number {
  return new TestKeyer(project).key(testId);
}

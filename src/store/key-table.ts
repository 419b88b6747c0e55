/**
 * A hash table from test keys (52-bit safe integers, see test-key.ts) to small integers, stored in
 * typed arrays. Scanning a run's million keys against the few thousand asked about must not box a
 * number or allocate per probe, as a Map<number, …> of non-Smi keys does.
 */

const EMPTY = -1;
const INV_2_32 = 1 / 4294967296;

export class KeyTable {
  private keys: Float64Array;
  private values: Int32Array;
  private mask: number;
  private used = 0;

  constructor(expected = 16) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.keys = new Float64Array(cap).fill(EMPTY);
    this.values = new Int32Array(cap);
    this.mask = cap - 1;
  }

  /** A table holding `keys`, each mapped to its position in the list (a later duplicate keeps the first). */
  static of(keys: Iterable<number>): KeyTable {
    const list = [...keys];
    const t = new KeyTable(list.length);
    list.forEach((k, i) => t.add(k, i));
    return t;
  }

  get size(): number {
    return this.used;
  }

  private slot(key: number): number {
    // Both halves, mixed (keys are hashes already, but tests may pick sequential ones). The high
    // half by a multiply by 2^-32, which is exact: no division on the hot path.
    let h = Math.imul((key >>> 0) ^ ((key * INV_2_32) | 0), 0x9e3779b1);
    h ^= h >>> 15;
    return h & this.mask;
  }

  /** Add `key` with `value` (>= 0); a key already present keeps its value. Returns the key's value. */
  add(key: number, value = 0): number {
    if (!(key >= 0) || !Number.isSafeInteger(key)) throw new RangeError(`not a test key: ${key}`);
    if ((this.used + 1) * 2 > this.keys.length) this.grow();
    let i = this.slot(key);
    for (;;) {
      const k = this.keys[i]!;
      if (k === EMPTY) {
        this.keys[i] = key;
        this.values[i] = value;
        this.used++;
        return value;
      }
      if (k === key) return this.values[i]!;
      i = (i + 1) & this.mask;
    }
  }

  /** The value of `key`, or -1 when absent. */
  get(key: number): number {
    let i = this.slot(key);
    const keys = this.keys;
    for (;;) {
      const k = keys[i]!;
      if (k === key) return this.values[i]!;
      if (k === EMPTY) return -1;
      i = (i + 1) & this.mask;
    }
  }

  has(key: number): boolean {
    return this.get(key) !== -1;
  }

  /** Every key in the table (in no particular order). */
  *entries(): IterableIterator<[number, number]> {
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] !== EMPTY) yield [this.keys[i]!, this.values[i]!];
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    this.keys = new Float64Array(oldKeys.length * 2).fill(EMPTY);
    this.values = new Int32Array(oldKeys.length * 2);
    this.mask = this.keys.length - 1;
    this.used = 0;
    for (let i = 0; i < oldKeys.length; i++) if (oldKeys[i] !== EMPTY) this.add(oldKeys[i]!, oldValues[i]!);
  }
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

/** Hash of a key's IEEE-754 bit pattern, given as its two 32-bit words (native order). */
function wordHash(w0: number, w1: number): number {
  return Math.imul(w0 ^ Math.imul(w1, 0x85ebca6b), 0x9e3779b1);
}

/**
 * A bitmap over the bit patterns of a table's keys, for scanning a log's million keys: most
 * entries are ruled out with integer operations on the raw words of the key array (a Uint32Array
 * view of the Float64Array), without reading a key as a number. About 16 bits per key, so roughly
 * one entry in sixteen that is not wanted goes on to the table.
 */
export class KeyFilter {
  private readonly bits: Int32Array;
  private readonly shift: number;

  constructor(table: KeyTable) {
    let log2 = 12;
    while (log2 < 24 && 2 ** log2 < table.size * 16) log2++;
    this.bits = new Int32Array(2 ** (log2 - 5));
    this.shift = 32 - log2;
    for (const [key] of table.entries()) {
      F64[0] = key;
      const h = wordHash(U32[0]!, U32[1]!) >>> this.shift;
      this.bits[h >>> 5]! |= 1 << (h & 31);
    }
  }

  /**
   * Call `hit(i)` for each entry i < count of `keys` that may be in the table (every one that
   * is, and a few that are not: check with the table).
   */
  scan(keys: Float64Array, count: number, hit: (i: number) => void): void {
    const words = new Uint32Array(keys.buffer, keys.byteOffset, count * 2);
    const bits = this.bits;
    const shift = this.shift;
    for (let i = 0; i < count; i++) {
      const h = wordHash(words[2 * i]!, words[2 * i + 1]!) >>> shift;
      if ((bits[h >>> 5]! & (1 << (h & 31))) !== 0) hit(i);
    }
  }
}

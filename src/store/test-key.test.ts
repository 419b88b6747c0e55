import { describe, expect, it } from 'vitest';
import { fnv1a64, TestKeyer, testKey } from './test-key.js';

/** The reference: FNV-1a 64 over the UTF-8 bytes, in BigInt. */
function reference(s: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of new TextEncoder().encode(s)) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

const hex = ([hi, lo]: [number, number]): bigint => (BigInt(hi) << 32n) | BigInt(lo);

describe('test keys', () => {
  it('are 64-bit FNV-1a of the UTF-8 bytes: the published vectors and the BigInt reference agree', () => {
    expect(hex(fnv1a64(''))).toBe(0xcbf29ce484222325n);
    expect(hex(fnv1a64('a'))).toBe(0xaf63dc4c8601ec8cn);
    expect(hex(fnv1a64('foobar'))).toBe(0x85944171f73967e8n);
    const samples = ['tests/test_api.py::TestX::test_health', 'é', 'ünïcödé ✓ 測試', '🎉 emoji', 'lone \ud800 high', 'lone \udc00 low', 'end \ud83d', '\u0000nul', 'x'.repeat(5000)];
    for (const s of samples) expect(hex(fnv1a64(s)), s).toBe(reference(s));
  });

  it('are the low 52 bits of the hash of project NUL id: safe integers', () => {
    for (const [p, id] of [['proj', 'a::b'], ['', ''], ['ünï', '測試::✓']] as const) {
      const k = testKey(p, id);
      expect(Number.isSafeInteger(k) && k >= 0 && k < 2 ** 52).toBe(true);
      expect(BigInt(k)).toBe(reference(`${p}\0${id}`) & ((1n << 52n) - 1n));
    }
    // One keyer for many ids gives what one call each gives.
    const keyer = new TestKeyer('proj');
    expect(['a', 'b', 'a'].map((id) => keyer.key(id))).toEqual(['a', 'b', 'a'].map((id) => testKey('proj', id)));
  });

  it('never confuse projects, nor ids that differ only in case, whitespace or Unicode form', () => {
    const ids = ['s::Case', 's::case', 's::CASE', 's::a b', 's::a  b', 's::a\tb', 's::a b ', 's::caf\u00e9', 's::cafe\u0301', 's::\ufb01', 's::fi', 's::Å', 's::A\u030a', 's::\u212b'];
    expect(new Set(ids.map((id) => testKey('p', id))).size).toBe(ids.length);
    for (const id of ids) expect(testKey('p', id)).not.toBe(testKey('q', id));
    // The NUL separates project from id: ("ab", "c") is not ("a", "bc").
    expect(testKey('ab', 'c')).not.toBe(testKey('a', 'bc'));
    // 200,000 generated ids of one project: no two share a key (expected collisions: ~2e-6).
    const keys = new Set<number>();
    for (let i = 0; i < 200_000; i++) keys.add(testKey('big', `com.acme.module${i % 400}.ServiceTest::handles case ${i}`));
    expect(keys.size).toBe(200_000);
  });
});

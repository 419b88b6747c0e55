import { describe, expect, it } from 'vitest';
import { KeyFilter, KeyTable } from './key-table.js';
import { testKey } from './test-key.js';

describe('KeyTable', () => {
  it('maps keys to values through growth, keeps the first value of a key, and says -1 for absent keys', () => {
    const t = new KeyTable(2);
    const keys = Array.from({ length: 5000 }, (_, i) => testKey('p', `t${i}`));
    keys.forEach((k, i) => expect(t.add(k, i)).toBe(i));
    expect(t.size).toBe(5000);
    expect(t.add(keys[7]!, 99)).toBe(7);
    expect(t.size).toBe(5000);
    keys.forEach((k, i) => expect(t.get(k)).toBe(i));
    expect(t.get(testKey('p', 'absent'))).toBe(-1);
    expect(t.has(keys[4999]!)).toBe(true);
  });

  it('tells apart keys that share their low or high 32 bits, and takes 0 and 2^52 - 1', () => {
    const lowTwins = [5, 5 + 2 ** 32, 5 + 2 ** 40, 5 + 2 ** 51];
    const highTwins = [2 ** 45, 2 ** 45 + 1, 2 ** 45 + 2 ** 31];
    const t = KeyTable.of([...lowTwins, ...highTwins, 0, 2 ** 52 - 1]);
    [...lowTwins, ...highTwins, 0, 2 ** 52 - 1].forEach((k, i) => expect(t.get(k)).toBe(i));
    expect(t.get(6)).toBe(-1);
    expect(() => t.add(-1)).toThrow(RangeError);
    expect(() => t.add(0.5)).toThrow(RangeError);
  });
});

describe('KeyFilter', () => {
  it('lets through every key of its table and rules out most others', () => {
    const wanted = Array.from({ length: 2000 }, (_, i) => testKey('p', `wanted ${i}`));
    const table = KeyTable.of(wanted);
    const filter = new KeyFilter(table);
    const others = Array.from({ length: 100_000 }, (_, i) => testKey('p', `other ${i}`));
    const keys = new Float64Array([...others.slice(0, 50_000), ...wanted, ...others.slice(50_000)]);
    const hits: number[] = [];
    filter.scan(keys, keys.length, (i) => hits.push(i));
    const found = hits.filter((i) => table.has(keys[i]!));
    expect(found).toEqual(wanted.map((_, k) => 50_000 + k));
    // About one in sixteen of the others gets through to the exact check; never most of them.
    expect(hits.length - found.length).toBeLessThan(others.length / 8);
    // Only the first `count` entries are looked at.
    const seen: number[] = [];
    filter.scan(keys, 50_001, (i) => seen.push(i));
    expect(seen.filter((i) => table.has(keys[i]!))).toEqual([50_000]);
  });
});

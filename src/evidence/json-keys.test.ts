import { describe, expect, it } from 'vitest';
import { findDuplicateKey } from './json-keys.js';
import { parseJsonText } from './read.js';

describe('findDuplicateKey', () => {
  it('finds a repeated key at any depth, at the offset of its second occurrence', () => {
    const top = '{"version": "2.1.0", "runs": [1], "runs": []}';
    expect(findDuplicateKey(top)).toEqual({ key: 'runs', offset: top.lastIndexOf('"runs"') });
    const nested = '[{"a": {"b": 1, "c": {"d": [], "d": {}}}}]';
    expect(findDuplicateKey(nested)).toEqual({ key: 'd', offset: nested.lastIndexOf('"d"') });
  });

  it('compares decoded keys: "a" and "\\u0061" are one key, "a" and "A" are two', () => {
    expect(findDuplicateKey('{"a": 1, "\\u0061": 2}')).toMatchObject({ key: 'a' });
    expect(findDuplicateKey('{"a\\"b": 1, "a\\u0022b": 2}')).toMatchObject({ key: 'a"b' });
    expect(findDuplicateKey('{"a": 1, "A": 2}')).toBeUndefined();
    expect(findDuplicateKey('{"": 1, "": 2}')).toMatchObject({ key: '' });
  });

  it('honest documents: the same key in sibling objects, keys as values, quotes and braces inside strings', () => {
    expect(findDuplicateKey('[{"id": 1}, {"id": 2}, {"id": {"id": 3}}]')).toBeUndefined();
    expect(findDuplicateKey('{"a": "a", "b": ["a", "b"], "c": "\\"a\\": 1, {\\"b\\\\"}')).toBeUndefined();
    expect(findDuplicateKey('{"path": "C:\\\\dir\\\\", "next": "}{[,"}')).toBeUndefined();
    expect(findDuplicateKey('{}')).toBeUndefined();
    expect(findDuplicateKey('[[], {}, "x", 1, true, null]')).toBeUndefined();
    // A key after an escaped backslash at the end of the previous string is still a key.
    expect(findDuplicateKey('{"a": "x\\\\", "a": 1}')).toMatchObject({ key: 'a' });
  });

  it('objects with many keys (past the linear-search size) are checked too', () => {
    const keys = Array.from({ length: 200 }, (_, i) => `"k${i}": ${i}`);
    expect(findDuplicateKey(`{${keys.join(', ')}}`)).toBeUndefined();
    const dup = `{${keys.join(', ')}, "k17": 0}`;
    expect(findDuplicateKey(dup)).toEqual({ key: 'k17', offset: dup.lastIndexOf('"k17"') });
    const early = `{${keys.slice(0, 20).join(', ')}, "k3": 0, ${keys.slice(20).join(', ')}}`;
    expect(findDuplicateKey(early)).toMatchObject({ key: 'k3' });
    // a big object closed, then a small one at the same depth: no stale keys carried over
    expect(findDuplicateKey(`[{${keys.join(', ')}}, {"k1": 1, "k2": 2}]`)).toBeUndefined();
  });
});

describe('parseJsonText refuses duplicate keys', () => {
  it('EVIDENCE_MALFORMED with the key and the line:col of the second occurrence', () => {
    const text = '{\n  "version": "2.1.0",\n  "runs": [{"results": [{}]}],\n  "runs": []\n}\n';
    let err: unknown;
    try {
      parseJsonText(text, 'scan.sarif');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'EVIDENCE_MALFORMED', location: { file: 'scan.sarif', line: 4, col: 3 } });
    expect((err as Error).message).toContain('scan.sarif:4:3');
    expect((err as Error).message).toContain('"runs"');
    expect((err as Error).message).toContain('second time');
  });

  it('a line of a line-oriented file reports its own line number', () => {
    expect(() => parseJsonText('{"a": 1, "a": 2}', 'm.ndjson', { line: 7 })).toThrow(
      expect.objectContaining({ code: 'EVIDENCE_MALFORMED', location: expect.objectContaining({ line: 7, col: 10 }) }),
    );
  });

  it('the same document without the repeat parses', () => {
    expect(parseJsonText('{"version": "2.1.0", "runs": []}', 'ok.sarif')).toEqual({ version: '2.1.0', runs: [] });
  });
});

describe('findDuplicateKey against generated documents', () => {
  // A tiny deterministic PRNG, so a failure reproduces.
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const ws = (): string => ['', ' ', '\n  ', '\t'][rnd(4)]!;
  /** A JSON string literal whose content is tricky for a scanner: quotes, backslashes, braces. */
  const strLit = (base: string): string => {
    const extras = ['', '\\"', '\\\\', '{', '}', '[', ',', ':', '\\u0041', '\\n'];
    return `"${base}${extras[rnd(extras.length)]!}${extras[rnd(extras.length)]!}"`;
  };
  /** Returns the JSON text and whether it holds a duplicate key somewhere. */
  const value = (depth: number): [string, boolean] => {
    const k = depth > 3 ? rnd(3) : rnd(6);
    if (k === 0) return [String(rnd(1000) - 500), false];
    if (k === 1) return [strLit(`v${rnd(5)}`), false];
    if (k === 2) return [['true', 'false', 'null'][rnd(3)]!, false];
    if (k === 3) {
      const items: string[] = [];
      let dup = false;
      for (let i = rnd(4); i > 0; i--) {
        const [t, d] = value(depth + 1);
        items.push(t);
        dup ||= d;
      }
      return [`[${ws()}${items.join(`,${ws()}`)}${ws()}]`, dup];
    }
    const keys: string[] = [];
    const parts: string[] = [];
    let dup = false;
    for (let i = rnd(25); i > 0; i--) {
      // Distinct keys by construction (an index in each), unless this one repeats an earlier key.
      const repeat = keys.length > 0 && rnd(40) === 0;
      const key = repeat ? keys[rnd(keys.length)]! : strLit(`k${keys.length}_`);
      if (repeat) dup = true;
      else keys.push(key);
      const [t, d] = value(depth + 1);
      dup ||= d;
      parts.push(`${ws()}${key}${ws()}:${ws()}${t}`);
    }
    return [`{${parts.join(',')}${ws()}}`, dup];
  };

  it('agrees with how the documents were built, over 3000 of them', () => {
    let withDup = 0;
    for (let i = 0; i < 3000; i++) {
      const [text, dup] = value(0);
      JSON.parse(text); // the generator writes valid JSON, as the scanner assumes
      expect(findDuplicateKey(text) !== undefined, text).toBe(dup);
      if (dup) withDup++;
    }
    expect(withDup).toBeGreaterThan(100); // both outcomes were exercised
  });
});

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

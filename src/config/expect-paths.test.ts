import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STATIC_PATHS, TEST_FIELDS, lookupPath, pathKey, splitPath, suggest } from './expect-paths.js';

describe('splitPath', () => {
  it('splits on dots outside brackets and label sets', () => {
    expect(splitPath('coverage.file["src/a.b.ts"].lines.covered')).toEqual({ ok: true, segments: ['coverage', 'file', 'src/a.b.ts', 'lines', 'covered'] });
    expect(splitPath("metric['x.y']")).toEqual({ ok: true, segments: ['metric', 'x.y'] });
    expect(splitPath('metric.h{le="0.5",q=\'a}b\'}')).toEqual({ ok: true, segments: ['metric', 'h{le="0.5",q=\'a}b\'}'] });
  });
  it('reports malformed paths with a column shifted by the offset', () => {
    expect(splitPath('a..b', 10)).toEqual({ ok: false, column: 13, message: 'empty path segment' });
    expect(splitPath('a["x"]b')).toMatchObject({ ok: false, message: 'expected "." after "]"' });
    expect(splitPath('a["x"')).toMatchObject({ ok: false, message: 'expected "]" after the quoted name' });
    expect(splitPath('a[""]')).toMatchObject({ ok: false, message: 'empty bracketed name' });
    expect(splitPath('a]')).toMatchObject({ ok: false, message: 'unexpected "]"' });
    expect(splitPath('')).toMatchObject({ ok: false, message: 'empty path' });
  });
});

describe('catalogue', () => {
  it('knows every static path, with the right kind of number', () => {
    for (const p of STATIC_PATHS) {
      const r = lookupPath(p.split('.'));
      expect(r.ok, p).toBe(true);
    }
    expect(lookupPath(['tests', 'pass-rate'])).toMatchObject({ ok: true, info: { dim: 'percent' } });
    expect(lookupPath(['coverage', 'lines'])).toMatchObject({ ok: true, info: { dim: 'percent', part: 'pct' } });
    expect(lookupPath(['coverage', 'lines', 'total'])).toMatchObject({ ok: true, info: { dim: 'count' } });
    expect(lookupPath(['metric', 'a', 'b'])).toEqual({ ok: true, info: { kind: 'metric', name: 'metric.a.b', dim: 'runtime' } });
  });
  it('suggests the nearest path, or lists the shapes', () => {
    expect(suggest('tests.pased')).toBe('did you mean "tests.passed"?');
    expect(suggest('completely.different.thing')).toMatch(/^known paths: /);
    expect(pathKey(['metric', 'a.b'])).toBe('metric.a.b');
  });
  it('documents every test field in the README block', () => {
    const doc = readFileSync(new URL('./expect-paths.ts', import.meta.url), 'utf8');
    const line = doc.split('\n').find((l) => l.includes('tests.total |')) ?? '';
    for (const f of TEST_FIELDS.slice(1)) expect(line, f).toContain(f);
  });
});

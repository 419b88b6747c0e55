import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jacocoParser } from './jacoco.js';

const fx = (name: string): string => join(import.meta.dirname, '../../test/fixtures/evidence/coverage', name);

describe('jacoco', () => {
  it('reads per-source-file counters behind the JaCoCo DOCTYPE without fetching it', async () => {
    const { coverage } = await jacocoParser.parse(fx('doctype.jacoco.xml'), { displayPath: 'jacoco.xml' });
    expect(coverage!.files.map((f) => f.file)).toEqual(['com/acme/shop/Cart.java', 'com/acme/shop/Price.java']);
    expect(coverage!.files[0]).toEqual({
      file: 'com/acme/shop/Cart.java',
      statements: { covered: 13, total: 20, pct: 65 },
      branches: { covered: 3, total: 4, pct: 75 },
      lines: { covered: 6, total: 8, pct: 75 },
      functions: { covered: 2, total: 3, pct: (2 / 3) * 100 },
    });
    expect(coverage!.lines).toEqual({ covered: 8, total: 10, pct: 80 });
    expect(coverage!.functions).toEqual({ covered: 3, total: 4, pct: 75 });
    expect(coverage!.statements).toEqual({ covered: 23, total: 30, pct: (23 / 30) * 100 });
    expect(coverage!.branches).toEqual({ covered: 3, total: 4, pct: 75 });
  });

  it('refuses entity declarations as unsafe', async () => {
    await expect(jacocoParser.parse(fx('entities.jacoco.xml'), { displayPath: 'jacoco.xml' })).rejects.toMatchObject({
      code: 'EVIDENCE_UNSAFE',
      file: 'jacoco.xml',
    });
  });

  it('sniffs the JaCoCo root or DOCTYPE', () => {
    expect(jacocoParser.sniff('<?xml version="1.0"?><!DOCTYPE report PUBLIC "-//JACOCO//DTD Report 1.1//EN" "report.dtd"><report name="x">')).toBe(true);
    expect(jacocoParser.sniff('<report name="x"><sessioninfo')).toBe(true);
    expect(jacocoParser.sniff('<coverage line-rate="1">')).toBe(false);
  });
});

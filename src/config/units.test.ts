import { describe, expect, it } from 'vitest';
import { dimensionOf, formatNumber, formatQuantity, fromCanonical, parseQuantity, toCanonical } from './units.js';

describe('parseQuantity', () => {
  it.each([
    ['17', 17, undefined],
    ['65%', 65, '%'],
    ['200ms', 200, 'ms'],
    ['0.2s', 200, 'ms'],
    ['1.5 s', 1500, 'ms'],
    ['2m', 120_000, 'ms'],
    ['500us', 0.5, 'ms'],
    ['250ns', 0.00025, 'ms'],
    ['10MB', 10_000_000, 'B'],
    ['10KB', 10_000, 'B'],
    ['1KiB', 1024, 'B'],
    ['2MiB', 2 * 1024 * 1024, 'B'],
    ['1GiB', 1024 ** 3, 'B'],
    ['3GB', 3e9, 'B'],
    ['-1.5', -1.5, undefined],
    ['.5', 0.5, undefined],
    ['1e3ms', 1000, 'ms'],
  ])('%s → %s %s', (text, value, unit) => {
    const q = parseQuantity(text);
    expect(q.ok).toBe(true);
    if (!q.ok) return;
    expect(q.value).toBeCloseTo(value, 12);
    expect(q.unit).toBe(unit);
  });

  it('rejects unknown units and non-numbers', () => {
    expect(parseQuantity('10mb')).toEqual({ ok: false, reason: 'unit', unitText: 'mb' });
    expect(parseQuantity('ten')).toEqual({ ok: false, reason: 'number' });
    expect(parseQuantity('')).toEqual({ ok: false, reason: 'number' });
    expect(parseQuantity('1.2.3')).toMatchObject({ ok: false });
  });
});

describe('conversions', () => {
  it('knows dimensions and canonical units', () => {
    expect(dimensionOf('s')).toBe('time');
    expect(dimensionOf('KiB')).toBe('size');
    expect(dimensionOf('%')).toBe('percent');
    expect(dimensionOf('req/s')).toBeUndefined();
    expect(dimensionOf(undefined)).toBeUndefined();
    expect(toCanonical(2, 'req/s')).toEqual({ value: 2, unit: 'req/s' });
    expect(fromCanonical(1500, 's')).toBe(1.5);
  });
});

describe('formatting', () => {
  it('renders numbers compactly', () => {
    expect(formatNumber(17)).toBe('17');
    expect(formatNumber(61.2)).toBe('61.2');
    expect(formatNumber(2 / 3)).toBe('0.6667');
    expect(formatNumber(123456.789)).toBe('123456.8');
  });
  it('shows a value in the unit the user wrote, else a readable one', () => {
    expect(formatQuantity(61.2, '%')).toBe('61.2%');
    expect(formatQuantity(150, 'ms', 's')).toBe('0.15s');
    expect(formatQuantity(2500, 'ms')).toBe('2.5s');
    expect(formatQuantity(0.5, 'ms')).toBe('500us');
    expect(formatQuantity(12_500_000, 'B')).toBe('12.5MB');
    expect(formatQuantity(12_500_000, 'B', 'MiB')).toBe('11.92MiB');
    expect(formatQuantity(0, 'ms')).toBe('0ms');
    expect(formatQuantity(42, 'req/s')).toBe('42 req/s');
    expect(formatQuantity(3, undefined)).toBe('3');
  });
});

describe('rates over time', () => {
  it('sizes and counts per second, minute or hour are kept per minute', () => {
    expect(parseQuantity('1MB/min')).toEqual({ ok: true, value: 1e6, unit: 'B/min' });
    expect(parseQuantity('1KB/s')).toEqual({ ok: true, value: 60_000, unit: 'B/min' });
    expect(parseQuantity('60MiB/h')).toEqual({ ok: true, value: 1024 ** 2, unit: 'B/min' });
    expect(parseQuantity('10/min')).toEqual({ ok: true, value: 10, unit: '/min' });
    expect(parseQuantity('1/s')).toEqual({ ok: true, value: 60, unit: '/min' });
  });
  it('a rate is not a size: the dimensions differ, so a comparison between them cannot happen silently', () => {
    expect(dimensionOf('MB/min')).toBe('size-rate');
    expect(dimensionOf('MB')).toBe('size');
    expect(parseQuantity('1MB/fortnight')).toMatchObject({ ok: false, reason: 'unit' });
  });
  it('renders rates readably', () => {
    expect(formatQuantity(2_600_000, 'B/min')).toBe('2.6MB/min');
    expect(formatQuantity(3, '/min')).toBe('3/min');
  });
});

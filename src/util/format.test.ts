import { describe, expect, it } from 'vitest';
import { formatDuration } from './duration-format.js';
import { formatBytes } from './size-format.js';

describe('formatBytes', () => {
  it('uses decimal units with at most one decimal', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1200)).toBe('1.2 KB');
    expect(formatBytes(9_500_000)).toBe('9.5 MB');
    expect(formatBytes(10_000_000)).toBe('10 MB');
    expect(formatBytes(123_456_789)).toBe('123 MB');
    expect(formatBytes(2e12)).toBe('2 TB');
  });
});

describe('formatDuration', () => {
  it('picks a unit that reads well', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(1000)).toBe('1 s');
    expect(formatDuration(2140)).toBe('2.1 s');
    expect(formatDuration(185_000)).toBe('3m 05s');
    expect(formatDuration(3_725_000)).toBe('1h 02m 05s');
  });
});

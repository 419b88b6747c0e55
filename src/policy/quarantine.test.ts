import { describe, expect, it } from 'vitest';
import { describeQuarantine, isExempt, quarantineMatcher, rulesFromConfig, untilInstant, validateUntil, type QuarantineRule } from './quarantine.js';

const rules: QuarantineRule[] = [
  { tests: ['tests/test_api.py::test_upload*'], reason: 'S3 mock flaky, #41', until: '2026-03-01', origin: 'config' },
  { tests: ['com.acme.SlowTest'], reason: 'timeouts on CI', origin: 'store', id: '7' },
  { tests: ['pkg::TestRace'], reason: 'old entry', until: '2026-01-01', origin: 'config' },
  { tests: ['pkg::TestRace'], reason: 'renewed', until: '2026-06-30T12:00:00Z', origin: 'store', id: '9' },
];

describe('quarantineMatcher', () => {
  it('matches patterns, including a bare suite name', () => {
    const q = quarantineMatcher(rules, new Date('2026-02-01T00:00:00Z'));
    expect(q('tests/test_api.py::test_upload_big')?.rule.reason).toBe('S3 mock flaky, #41');
    expect(q('com.acme.SlowTest::bigFile')?.rule.id).toBe('7');
    expect(q('tests/test_api.py::test_health')).toBeUndefined();
  });

  it('applies through the until day and expires after it', () => {
    const id = 'tests/test_api.py::test_upload_big';
    expect(quarantineMatcher(rules, new Date('2026-03-01T23:59:59Z'))(id)).toMatchObject({ expired: false });
    const after = quarantineMatcher(rules, new Date('2026-03-02T00:00:00Z'))(id);
    expect(after).toMatchObject({ expired: true, expiresAt: '2026-03-02T00:00:00.000Z' });
    expect(isExempt(after)).toBe(false);
    expect(describeQuarantine(after!)).toBe('quarantine expired (until 2026-03-01), blocking again (S3 mock flaky, #41; config)');
  });

  it('prefers a rule in force over an expired one', () => {
    const m = quarantineMatcher(rules, new Date('2026-02-01T00:00:00Z'))('pkg::TestRace');
    expect(m).toMatchObject({ expired: false, rule: { reason: 'renewed' } });
    expect(isExempt(m)).toBe(true);
    expect(describeQuarantine(m!)).toBe('QUARANTINED: renewed (until 2026-06-30T12:00:00Z) [store #9]');
    expect(quarantineMatcher(rules, new Date('2026-07-01T00:00:00Z'))('pkg::TestRace')?.expired).toBe(true);
  });

  it('treats an unreadable until as expired (fail closed)', () => {
    const m = quarantineMatcher([{ tests: ['a::b'], reason: 'r', until: 'next week', origin: 'config' }], new Date('2026-01-01'))('a::b');
    expect(m).toMatchObject({ expired: true });
    expect(m?.expiresAt).toBeUndefined();
    expect(describeQuarantine(m!)).toMatch(/unreadable until "next week"/);
  });

  it('converts config entries', () => {
    expect(rulesFromConfig([{ tests: ['x'], reason: 'y', until: '2026-01-01' }])).toEqual([{ tests: ['x'], reason: 'y', until: '2026-01-01', origin: 'config' }]);
  });
});

describe('until dates', () => {
  it('accepts dates and zoned timestamps only', () => {
    expect(untilInstant('2026-03-01')?.toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(untilInstant('2026-03-01T10:00:00+02:00')?.toISOString()).toBe('2026-03-01T08:00:00.000Z');
    expect(untilInstant('2026-02-30')).toBeUndefined();
    expect(untilInstant('2026-03-01T10:00:00')).toBeUndefined();
    expect(untilInstant('March 1')).toBeUndefined();
    expect(validateUntil('2026-12-31')).toBeUndefined();
    expect(validateUntil('soon')).toMatch(/not a date; write YYYY-MM-DD/);
  });
});

import { describe, expect, it } from 'vitest';
import type { TestResult } from '../model/evidence.js';
import { decodeTestLog, decodeTestLogKeys, isFlaky, statusOf, TEST_LOG_HEADER_BYTES, TestLog } from './test-log.js';
import { testKey } from './test-key.js';

const t = (id: string, status: TestResult['status'], extra: Partial<TestResult> = {}): TestResult => ({ id, suite: 's', name: id, status, attempts: 1, flaky: false, ...extra });

describe('TestLog', () => {
  it('encodes to the documented layout (16-byte header, then keys, durations, flags, attempts) and decodes back', () => {
    const log = new TestLog('p', 16);
    const tests = Array.from({ length: 5000 }, (_, i) =>
      t(`s::t${i}`, (['passed', 'failed', 'error', 'skipped'] as const)[i % 4]!, { durationMs: i % 3 ? i / 8 : undefined, attempts: i % 300, flaky: i % 4 === 0 && i % 8 === 0 }),
    );
    for (const x of tests) log.push(x);
    const buf = log.encode();
    expect(buf.length).toBe(TEST_LOG_HEADER_BYTES + 14 * 5000);
    expect(buf.toString('latin1', 0, 4)).toBe('SGTL');
    expect([buf.readUInt32LE(4), buf.readUInt32LE(8), buf.readUInt32LE(12)]).toEqual([1, 5000, 0]);
    expect(buf.readDoubleLE(16)).toBe(testKey('p', 's::t0'));
    expect(buf.readFloatLE(16 + 8 * 5000 + 4)).toBe(Math.fround(1 / 8));
    expect(buf[16 + 12 * 5000 + 1]).toBe(1); // s::t1 failed
    expect(buf[16 + 13 * 5000 + 299]).toBe(255); // attempts capped

    // Decoded from an unaligned copy, as a driver may hand it over.
    const shifted = Buffer.alloc(buf.length + 3);
    buf.copy(shifted, 3);
    for (const d of [decodeTestLog(buf), decodeTestLog(shifted.subarray(3))]) {
      expect(d.count).toBe(5000);
      tests.forEach((x, i) => {
        expect(d.keys[i]).toBe(testKey('p', x.id));
        expect(statusOf(d.flags[i]!)).toBe(x.status);
        expect(isFlaky(d.flags[i]!)).toBe(x.flaky);
        expect(d.attempts[i]).toBe(Math.min(255, x.attempts));
        if (x.durationMs === undefined) expect(d.durations[i]).toBeNaN();
        else expect(d.durations[i]).toBe(Math.fround(x.durationMs));
      });
    }
    // The slices history reads say the same.
    const keys = decodeTestLogKeys(buf.subarray(0, 16), buf.length, buf.subarray(16, 16 + 8 * 5000), buf.subarray(16 + 12 * 5000, 16 + 13 * 5000));
    expect([...keys.keys]).toEqual(tests.map((x) => testKey('p', x.id)));
    expect(keys.flags[2]).toBe(2);
  });

  it('keeps the failed, errored and flaky tests whole; rolls back to a mark; joins logs of one project only', () => {
    const log = new TestLog('p');
    log.push(t('a', 'passed'));
    log.push(t('b', 'failed', { message: 'boom' }));
    const m = log.mark();
    log.push(t('c', 'error'));
    log.push(t('d', 'passed', { flaky: true }));
    log.push(t('e', 'skipped'));
    expect(log.bad.map((x) => x.id)).toEqual(['b', 'c', 'd']);
    expect(log.badKeys).toEqual(['b', 'c', 'd'].map((id) => testKey('p', id)));
    log.rollback(m);
    expect([log.count, log.bad.map((x) => x.id), log.badKeys.length]).toEqual([2, ['b'], 1]);
    const more = TestLog.of('p', [t('f', 'failed')]);
    log.append(more);
    expect([log.count, log.bad.map((x) => x.id)]).toEqual([3, ['b', 'f']]);
    expect(() => log.append(TestLog.of('q', []))).toThrow(/projects p and q/);
  });

  it('refuses what is not a whole log of this layout', () => {
    const buf = TestLog.of('p', [t('a', 'passed'), t('b', 'failed')]).encode();
    expect(() => decodeTestLog(buf.subarray(0, 10))).toThrow(/shorter than its header/);
    expect(() => decodeTestLog(buf.subarray(0, buf.length - 1))).toThrow(/says 2 tests/);
    const v2 = Buffer.from(buf);
    v2.writeUInt32LE(2, 4);
    expect(() => decodeTestLog(v2)).toThrow(/layout version 2/);
    const magic = Buffer.from(buf);
    magic.write('JUNK', 0, 'latin1');
    expect(() => decodeTestLog(magic)).toThrow(/SGTL magic/);
    expect(() => decodeTestLogKeys(buf.subarray(0, 16), buf.length, buf.subarray(16, 24), buf.subarray(0, 2))).toThrow(/not 2 entries long/);
  });
});

/** The pure judgement of Prometheus answers: the forms a real server rarely gives on demand (warnings, malformed bodies). */
import { describe, expect, it } from 'vitest';
import { chooseStepMs, MAX_POINTS } from './prometheus-api.js';
import { judgeAnswer, type QuerySpec } from './prometheus-judge.js';

const q = (extra: Partial<QuerySpec> = {}): QuerySpec => ({ name: 'x', query: 'up', range: false, reduce: 'avg', minSamples: 1, onNoData: 'fail', onWarning: 'fail', ...extra });
const ok = (data: unknown, extra: Record<string, unknown> = {}) => ({ status: 200, body: JSON.stringify({ status: 'success', data, ...extra }) });
const vector = (...values: string[]) => ({ resultType: 'vector', result: values.map((v, i) => ({ metric: { i: String(i) }, value: [1, v] })) });
const matrix = (...values: string[]) => ({ resultType: 'matrix', result: [{ metric: {}, values: values.map((v, i) => [i, v]) }] });

describe('judging one answer', () => {
  it('honest: one finite number passes and becomes the metric', () => {
    expect(judgeAnswer(q(), ok(vector('0.5')))).toMatchObject({ check: { ok: true }, metric: { name: 'metric.x', value: 0.5 } });
    expect(judgeAnswer(q(), ok({ resultType: 'scalar', result: [1, '3'] }))).toMatchObject({ check: { ok: true }, metric: { value: 3 } });
  });

  it('HOSTILE: warnings make a partial answer fail; on-warning: warn only warns and keeps the value', () => {
    const answer = ok(vector('0.001'), { warnings: ['remote read: store unavailable'] });
    const failed = judgeAnswer(q(), answer);
    expect(failed.check).toMatchObject({ ok: false, actual: expect.stringContaining('Prometheus warned: remote read: store unavailable') });
    expect(failed.check.severity).toBeUndefined();
    expect(failed.metric).toBeUndefined();
    const warned = judgeAnswer(q({ onWarning: 'warn' }), answer);
    expect(warned.check).toMatchObject({ ok: false, severity: 'warn' });
    expect(warned.metric?.value).toBe(0.001);
  });

  it('HOSTILE: a range whose every sample is NaN is no data; NaN samples among numbers are left out and said', () => {
    expect(judgeAnswer(q({ range: true }), ok(matrix('NaN', 'NaN'))).check).toMatchObject({ ok: false, actual: 'no data: NaN in all 2 samples (0/0: nothing to measure in the window)' });
    const some = judgeAnswer(q({ range: true, reduce: 'max' }), ok(matrix('1', 'NaN', '3')));
    expect(some.check).toMatchObject({ ok: true, actual: '3 (max of 2 samples (1 NaN left out))' });
  });

  it('HOSTILE: -Inf, strings, malformed bodies and error statuses fail', () => {
    expect(judgeAnswer(q(), ok(vector('-Inf'))).check).toMatchObject({ ok: false, actual: '-Inf' });
    expect(judgeAnswer(q(), ok({ resultType: 'string', result: [1, 'a'] })).check).toMatchObject({ ok: false, actual: 'a string result' });
    expect(judgeAnswer(q(), ok({ resultType: 'vector', result: {} })).check).toMatchObject({ ok: false, actual: 'a malformed vector' });
    expect(judgeAnswer(q(), { status: 200, body: JSON.stringify({ status: 'error', error: 'x' }) }).check).toMatchObject({ ok: false, actual: 'status "error" (x)' });
    expect(judgeAnswer(q(), { status: 503, body: '' }).check).toMatchObject({ ok: false, actual: 'HTTP 503' });
    expect(judgeAnswer(q(), { status: 422, body: JSON.stringify({ status: 'error', errorType: 'execution', error: 'many-to-many' }) }).check).toMatchObject({ ok: false, actual: 'HTTP 422 (execution: many-to-many)' });
    expect(judgeAnswer(q(), { status: 302, body: '' }).check).toMatchObject({ ok: false, actual: 'HTTP 302' });
  });

  it('reduces a range by avg, min, max or last', () => {
    const m = ok(matrix('1', '2', '6'));
    expect(judgeAnswer(q({ range: true }), m).metric?.value).toBe(3);
    expect(judgeAnswer(q({ range: true, reduce: 'min' }), m).metric?.value).toBe(1);
    expect(judgeAnswer(q({ range: true, reduce: 'last' }), m).metric?.value).toBe(6);
  });
});

describe('the step of a range query', () => {
  it('stays under Prometheus\' 11,000 points, even when the configured step would not', () => {
    const thirtyDays = 30 * 86_400_000;
    expect(thirtyDays / chooseStepMs(thirtyDays)).toBeLessThan(MAX_POINTS);
    expect(thirtyDays / chooseStepMs(thirtyDays, 1000)).toBeLessThan(MAX_POINTS);
    expect(chooseStepMs(60_000)).toBe(1000);
    expect(chooseStepMs(60_000, 15_000)).toBe(15_000);
  });
});

import { describe, expect, it } from 'vitest';
import { ExpectSyntaxError, checkExpectation, compileExpectation, parseExpectation, validateExpectation } from './expect-parse.js';

function syntaxError(source: string): ExpectSyntaxError {
  try {
    parseExpectation(source);
  } catch (err) {
    if (err instanceof ExpectSyntaxError) return err;
    throw err;
  }
  throw new Error(`expected "${source}" to be rejected`);
}

describe('parseExpectation: valid forms', () => {
  it('parses a plain comparison', () => {
    expect(parseExpectation('tests.failed == 0')).toEqual({
      kind: 'compare',
      source: 'tests.failed == 0',
      path: 'tests.failed',
      op: '==',
      value: { value: 0, unit: undefined, text: '0', writtenUnit: undefined },
    });
  });

  it.each(['==', '!=', '<', '<=', '>', '>='] as const)('reads operator %s with or without spaces', (op) => {
    expect(parseExpectation(`tests.total ${op} 17`)).toMatchObject({ op, path: 'tests.total' });
    expect(parseExpectation(`tests.total${op}17`)).toMatchObject({ op, path: 'tests.total' });
  });

  it('converts units to canonical values and keeps the text', () => {
    expect(parseExpectation('metric.http_req_duration.p95 < 0.2s')).toMatchObject({ value: { value: 200, unit: 'ms', text: '0.2s', writtenUnit: 's' } });
    expect(parseExpectation('coverage.lines >= 65%')).toMatchObject({ value: { value: 65, unit: '%' } });
    expect(parseExpectation('metric.image_size <= 200 MB')).toMatchObject({ value: { value: 200e6, unit: 'B', text: '200 MB' } });
  });

  it('reads paths with labels, brackets and dots inside names', () => {
    expect(parseExpectation('metric.http_requests_total{code="200",le="0.5"} > 10').path).toBe('metric.http_requests_total{code="200",le="0.5"}');
    expect(parseExpectation('coverage.file["src/a b.ts"].lines >= 80%').path).toBe('coverage.file["src/a b.ts"].lines');
    expect(parseExpectation('bench["parse <large>"].mean < 5ms').path).toBe('bench["parse <large>"].mean');
  });

  it('parses the baseline forms', () => {
    expect(parseExpectation('bench.parse_large.mean within baseline')).toEqual({ kind: 'within-baseline', source: 'bench.parse_large.mean within baseline', path: 'bench.parse_large.mean' });
    expect(parseExpectation('coverage.lines >= baseline - 1%')).toMatchObject({ kind: 'compare-baseline', op: '>=', offset: { value: -1, unit: '%' } });
    expect(parseExpectation('bench.x.mean <= baseline+2ms')).toMatchObject({ kind: 'compare-baseline', offset: { value: 2, unit: 'ms' } });
    expect(parseExpectation('bench.x.mean <= baseline')).toMatchObject({ kind: 'compare-baseline', op: '<=' });
    expect(parseExpectation('bench.x.mean <= baseline')).not.toHaveProperty('offset');
  });
});

describe('parseExpectation: malformed input names the column', () => {
  it.each([
    ['', 1, /empty expectation/],
    ['   ', 4, /empty expectation/],
    ['tests.failed', 13, /expected an operator/],
    ['tests.failed = 0', 14, /unknown operator "="/],
    ['tests.failed => 0', 14, /unknown operator "=>"/],
    ['tests.failed == ', 17, /expected a value/],
    ['tests.failed == zero', 17, /expected a number, found "zero"/],
    ['tests.failed == 0 and more', 19, /unexpected "and more"/],
    ['tests..failed == 0', 7, /empty path segment/],
    ['.tests == 0', 1, /empty path segment/],
    ['tests. == 0', 6, /path ends with "."/],
    ['coverage.file[src].lines > 1', 14, /must be quoted/],
    ['coverage.file["src.lines > 1', 14, /unclosed quote/],
    ['metric.x{a="1" > 1', 9, /unclosed "{"/],
    ['bench.x.mean within', 20, /expected "baseline" after "within"/],
    ['bench.x.mean within baselines', 21, /expected "baseline"/],
    ['bench.x.mean < baseline * 2', 25, /expected "\+" or "-"/],
    ['== 0', 1, /expected a path/],
    ['tests.failed ~ 0', 14, /expected an operator/],
  ])('%j → column %i', (source, column, message) => {
    const err = syntaxError(source);
    expect(err.code).toBe('EXPECT_SYNTAX');
    expect(err.column).toBe(column);
    expect(err.message).toMatch(message);
    expect(err.message).toContain(`at column ${column}`);
  });

  it('hints the right spelling of a mistyped operator', () => {
    expect(syntaxError('tests.total =< 3').hint).toBe('did you mean "<="?');
    expect(syntaxError('tests.total = 3').hint).toMatch(/==/);
  });

  it('rejects an unknown unit with EXPECT_UNIT and a did-you-mean', () => {
    const err = syntaxError('metric.image_size < 10mb');
    expect(err.code).toBe('EXPECT_UNIT');
    expect(err.column).toBe(23);
    expect(err.hint).toMatch(/did you mean "MB"/);
    expect(syntaxError('bench.a.mean < 5 parsecs').message).toMatch(/unexpected "parsecs"/);
    expect(syntaxError('bench.a.mean < 5parsecs').code).toBe('EXPECT_UNIT');
  });
});

describe('checkExpectation / validateExpectation', () => {
  it('accepts every documented fixed path and the dynamic families', () => {
    for (const src of [
      'tests.total >= 17',
      'tests.pass-rate >= 99%',
      'tests.executed >= 1',
      'coverage.lines >= 65%',
      'coverage.branches.covered >= 10',
      'coverage.file["src/x.ts"].lines >= 50%',
      'coverage.file["src/x.ts"].functions.total > 0',
      'findings.error == 0',
      'findings.security-severity.high == 0',
      'findings.rule["no-eval"] == 0',
      'findings.tool["semgrep"] == 0',
      'thresholds.failed == 0',
      'metric.anything.at.all < 3',
      'bench.parse_large.mean < 5ms',
      'coverage.lines >= baseline - 1%',
      'bench.parse_large.mean within baseline',
    ]) {
      expect(validateExpectation(parseExpectation(src)), src).toBeUndefined();
    }
  });

  it('rejects unknown paths with a suggestion and the column of the path', () => {
    const err = checkExpectation(parseExpectation('  tests.faild == 0'));
    expect(err?.code).toBe('EXPECT_UNKNOWN_PATH');
    expect(err?.column).toBe(3);
    expect(err?.hint).toBe('did you mean "tests.failed"?');
    expect(validateExpectation(parseExpectation('coverge.lines > 3%'))).toMatch(/did you mean "coverage.lines"\?.*EXPECT_UNKNOWN_PATH/);
    expect(checkExpectation(parseExpectation('wibble.wobble.wubble > 3'))?.hint).toMatch(/known paths: tests\./);
    expect(checkExpectation(parseExpectation('bench.only_name < 3ms'))?.hint).toMatch(/bench.<name>.<stat>/);
    expect(checkExpectation(parseExpectation('metric > 3'))?.code).toBe('EXPECT_UNKNOWN_PATH');
    expect(checkExpectation(parseExpectation('coverage.file["x"].colour > 3%'))?.hint).toMatch(/coverage.file/);
  });

  it('rejects units that cannot apply to a known path', () => {
    const count = checkExpectation(parseExpectation('tests.failed < 2ms'));
    expect(count?.code).toBe('EXPECT_UNIT');
    expect(count?.column).toBe(16);
    expect(count?.hint).toMatch(/tests.pass-rate/);
    expect(checkExpectation(parseExpectation('findings.error <= 5%'))?.code).toBe('EXPECT_UNIT');
    expect(checkExpectation(parseExpectation('coverage.lines >= 1MB'))?.message).toMatch(/is a percentage/);
    expect(checkExpectation(parseExpectation('coverage.lines >= baseline - 1ms'))?.code).toBe('EXPECT_UNIT');
    // unitless against a percent path means percent
    expect(checkExpectation(parseExpectation('coverage.lines >= 65'))).toBeUndefined();
    // metric units are only known at run time
    expect(checkExpectation(parseExpectation('metric.x < 2ms'))).toBeUndefined();
  });

  it('compileExpectation throws the first problem', () => {
    expect(() => compileExpectation('tests.totl >= 1')).toThrow(ExpectSyntaxError);
    expect(compileExpectation('tests.total >= 1').kind).toBe('compare');
  });
});

import { describe, expect, it } from 'vitest';
import { matchRequirementPattern, matchTestPattern, requirementMatcher, testId, testPatternMatcher } from './testid.js';

describe('testId', () => {
  it('pytest: file plus the classname past its module path', () => {
    expect(testId({ file: 'tests/test_api.py', classname: 'tests.test_api.TestX', name: 'test_name' })).toBe('tests/test_api.py::TestX::test_name');
    expect(testId({ file: './tests/test_api.py', classname: 'tests.test_api', name: 'test_a' })).toBe('tests/test_api.py::test_a');
    expect(testId({ file: 'tests\\test_api.py', classname: 'test_api.TestX', name: 't' })).toBe('tests/test_api.py::TestX::t');
  });
  it('classname or suite when no file; whitespace collapsed; deterministic', () => {
    expect(testId({ classname: 'com.acme.CalcTest', name: 'adds' })).toBe('com.acme.CalcTest::adds');
    expect(testId({ classname: 'github.com/acme/pkg', name: 'TestParse/sub' })).toBe('github.com/acme/pkg::TestParse/sub');
    expect(testId({ suite: 'api  >\tusers', name: '  creates\n a user ' })).toBe('api > users::creates a user');
    expect(testId({ name: 'lonely' })).toBe('lonely');
    expect(testId({ file: 'a.ts', classname: 'Other', name: 'x' })).toBe('a.ts::Other::x');
  });
});

describe('dialect rules', () => {
  it('uses the suite for node:test JUnit, whose classname is always "test"', () => {
    expect(testId({ classname: 'test', suite: 'api items', name: 'lists items' })).toBe('api items::lists items');
    expect(testId({ classname: 'test', name: 'lists items' })).toBe('test::lists items');
  });
  it('recovers the file from a pytest xunit2 classname', () => {
    expect(testId({ suite: 'pytest', classname: 'tests.test_api.TestX', name: 'test_health' })).toBe('tests/test_api.py::TestX::test_health');
    expect(testId({ suite: 'pytest', classname: 'tests.test_api', name: 'test_health' })).toBe('tests/test_api.py::test_health');
    expect(testId({ suite: 'other', classname: 'tests.test_api', name: 'test_health' })).toBe('tests.test_api::test_health');
  });
});

describe('matchTestPattern', () => {
  const id = 'tests/test_api.py::TestX::test_health';
  it('exact and whole-suite prefix', () => {
    expect(matchTestPattern(id, id)).toBe(true);
    expect(matchTestPattern('tests/test_api.py', id)).toBe(true);
    expect(matchTestPattern('tests/test_api', id)).toBe(false);
    expect(matchTestPattern('tests/test_api.py::TestX', id)).toBe(false);
  });
  it('* spans :: and /, ? is one character, regex characters are literal', () => {
    expect(matchTestPattern('tests/*health', id)).toBe(true);
    expect(matchTestPattern('*::TestX::*', id)).toBe(true);
    expect(matchTestPattern('tests/test_api.py::TestX::test_healt?', id)).toBe(true);
    expect(matchTestPattern('tests/test_api.py::TestX::test_heal?', id)).toBe(false);
    expect(matchTestPattern('a.b*', 'axb::c')).toBe(false);
    expect(matchTestPattern('suite (x)*', 'suite (x)::t')).toBe(true);
  });
});

describe('prepared matchers', () => {
  it('testPatternMatcher and requirementMatcher answer as matchTestPattern and matchRequirementPattern do', () => {
    const patterns = ['tests/test_api.py', 'tests/test_api', 'tests/*health', '*::TestX::*', 'tests/test_api.py::TestX::test_healt?', 'a.b*', 'suite (x)*', '  spaced   out ', 'test_login', 'add*', 'calc.test.ts::adds', 'x/y', '', '*'];
    const tests = [
      { id: 'tests/test_api.py::TestX::test_health', name: 'test_health' },
      { id: 'axb::c', name: 'c' },
      { id: 'suite (x)::t', name: 't' },
      { id: 'spaced out::t', name: 'spaced out' },
      { id: 'tests/test_auth.py::test_login', name: 'test_login' },
      { id: 'src/calc.test.ts::adds', name: 'adds' },
      { id: 'com.acme.CalcTest::adds_two', name: 'adds_two' },
      { id: 'x/y::z', name: 'z' },
      { id: '', name: '' },
    ];
    for (const p of patterns) {
      const byId = testPatternMatcher(p);
      const byReq = requirementMatcher(p);
      for (const t of tests) {
        expect(byId(t.id), `${p} ~ ${t.id}`).toBe(matchTestPattern(p, t.id));
        expect(byReq(t), `${p} ~ ${t.id} (requirement)`).toBe(matchRequirementPattern(p, t));
      }
    }
  });
});

import { describe, expect, it } from 'vitest';
import type { RequirementConfig } from '../config/types.js';
import type { TestResult } from '../model/evidence.js';
import { quarantineMatcher } from './quarantine.js';
import { NO_PATTERNS, judgeRequirements } from './requirements.js';

function t(id: string, status: TestResult['status'], message?: string): TestResult {
  const i = id.lastIndexOf('::');
  return { id, suite: id.slice(0, i), name: id.slice(i + 2), status, attempts: 1, flaky: false, message };
}

const gates = [
  { gate: 'api-e2e', tests: [t('tests/test_web_api.py::test_health', 'passed'), t('tests/test_web_api.py::test_login', 'passed'), t('tests/test_web_api.py::test_upload', 'failed', 'HTTP 500'), t('tests/test_web_api.py::test_slow', 'skipped')] },
  { gate: 'unit', tests: [t('src/calc.test.ts::adds', 'passed'), t('src/calc.test.ts::divides', 'error', 'TypeError'), t('src/flaky.test.ts::races', 'failed', 'timeout')] },
];

function req(id: string, tests: string[], severity: RequirementConfig['severity'] = 'block'): RequirementConfig {
  return { id, title: `${id} title`, tests, severity };
}

describe('judgeRequirements', () => {
  it('passes when every pattern matched and every matched test passed, with evidence per gate', () => {
    const [v] = judgeRequirements([req('health', ['tests/test_web_api.py::test_health', 'tests/test_web_api.py::test_log*', 'src/calc.test.ts::adds'])], gates);
    expect(v).toEqual({
      id: 'health',
      title: 'health title',
      severity: 'block',
      status: 'pass',
      evidence: [
        { gate: 'api-e2e', tests: 2, passed: 2 },
        { gate: 'unit', tests: 1, passed: 1 },
      ],
      unmatched: [],
      failed: [],
      notRun: [],
      unproven: [],
    });
  });

  it('matches a pattern without :: or / by the test\'s own name, as teams write them', () => {
    const [byName, wild, scoped] = judgeRequirements([req('login', ['test_login']), req('adds', ['add*']), req('no', ['calc.test.ts::adds'])], gates);
    expect(byName).toMatchObject({ status: 'pass', evidence: [{ gate: 'api-e2e', tests: 1, passed: 1 }] });
    expect(wild).toMatchObject({ status: 'pass', evidence: [{ gate: 'unit', tests: 1, passed: 1 }] });
    // With `::` it is an id pattern: a partial file name does not match.
    expect(scoped).toMatchObject({ status: 'fail', unmatched: ['calc.test.ts::adds'] });
    // A name pattern that names a failing test fails the requirement: broader matching demands more.
    expect(judgeRequirements([req('upload', ['test_upload'])], gates)[0]).toMatchObject({ status: 'fail', failed: [{ id: 'tests/test_web_api.py::test_upload' }] });
  });

  it('fails and names failed, errored and skipped tests', () => {
    const [api, calc] = judgeRequirements([req('api-contract', ['tests/test_web_api.py::*']), req('calc', ['src/calc.test.ts'])], gates);
    expect(api?.status).toBe('fail');
    expect(api?.failed).toEqual([{ id: 'tests/test_web_api.py::test_upload', gate: 'api-e2e', status: 'failed', message: 'HTTP 500' }]);
    expect(api?.notRun).toEqual([{ id: 'tests/test_web_api.py::test_slow', gate: 'api-e2e' }]);
    expect(api?.evidence).toEqual([{ gate: 'api-e2e', tests: 4, passed: 2 }]);
    expect(calc?.failed).toEqual([{ id: 'src/calc.test.ts::divides', gate: 'unit', status: 'error', message: 'TypeError' }]);
  });

  it('fails on a pattern that matched nothing, naming it, and on an empty pattern list', () => {
    const [v, empty] = judgeRequirements([req('r', ['tests/test_web_api.py::test_health', 'tests/test_billing.py::*']), req('e', [])], gates);
    expect(v).toMatchObject({ status: 'fail', unmatched: ['tests/test_billing.py::*'] });
    expect(empty).toMatchObject({ status: 'fail', unmatched: [NO_PATTERNS] });
    expect(judgeRequirements([req('r', ['x::*'])], [])[0]).toMatchObject({ status: 'fail', unmatched: ['x::*'], evidence: [] });
  });

  it('counts a test matched by several patterns once', () => {
    const [v] = judgeRequirements([req('r', ['src/calc.test.ts::adds', 'src/calc.test.ts::add*'])], gates);
    expect(v?.evidence).toEqual([{ gate: 'unit', tests: 1, passed: 1 }]);
  });

  it('turns a failure into warn/info for warn/info requirements', () => {
    const [w, i] = judgeRequirements([req('w', ['src/calc.test.ts::*'], 'warn'), req('i', ['nothing::*'], 'info')], gates);
    expect(w?.status).toBe('warn');
    expect(i?.status).toBe('info');
  });

  it('is never proven by a quarantined test, failed or passed: unproven (quarantined), blocking per its severity', () => {
    const q = quarantineMatcher([{ tests: ['src/flaky.test.ts::*', 'src/calc.test.ts::adds'], reason: 'race, #88', until: '2026-04-01', origin: 'config' }], new Date('2026-03-15T00:00:00Z'));
    const [v, passedButQuarantined, warnOnly] = judgeRequirements(
      [req('flaky', ['src/flaky.test.ts::races']), req('adds', ['src/calc.test.ts::adds']), req('w', ['src/flaky.test.ts::races'], 'warn')],
      gates,
      q,
    );
    expect(v?.status).toBe('fail');
    expect(v?.failed).toEqual([]);
    expect(v?.unproven).toEqual([
      { id: 'src/flaky.test.ts::races', gate: 'unit', status: 'failed', reason: 'unproven (quarantined): QUARANTINED: race, #88 (until 2026-04-01) [config]: timeout' },
    ]);
    expect(passedButQuarantined).toMatchObject({ status: 'fail', evidence: [{ gate: 'unit', tests: 1, passed: 0 }], unproven: [{ id: 'src/calc.test.ts::adds', status: 'passed' }] });
    expect(warnOnly?.status).toBe('warn');

    const expired = quarantineMatcher([{ tests: ['src/flaky.test.ts::*'], reason: 'race, #88', until: '2026-04-01', origin: 'config' }], new Date('2026-04-02T00:00:00Z'));
    const [e] = judgeRequirements([req('flaky', ['src/flaky.test.ts::races'])], gates, expired);
    expect(e?.status).toBe('fail');
    expect(e?.failed[0]).toMatchObject({ status: 'failed', message: expect.stringMatching(/^quarantine expired \(until 2026-04-01\), blocking again/) });
  });
});

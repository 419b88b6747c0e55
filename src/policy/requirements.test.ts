import { describe, expect, it } from 'vitest';
import type { RequirementConfig } from '../config/types.js';
import type { TestResult } from '../evidence/model.js';
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
    });
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

  it('does not block on a quarantined failure but does not call it a pass either', () => {
    const q = quarantineMatcher([{ tests: ['src/flaky.test.ts::*'], reason: 'race, #88', until: '2026-04-01', origin: 'config' }], new Date('2026-03-15T00:00:00Z'));
    const [v] = judgeRequirements([req('flaky', ['src/flaky.test.ts::races'])], gates, q);
    expect(v?.status).toBe('warn');
    expect(v?.failed).toEqual([{ id: 'src/flaky.test.ts::races', gate: 'unit', status: 'quarantined', message: 'QUARANTINED: race, #88 (until 2026-04-01) [config]: timeout' }]);

    const expired = quarantineMatcher([{ tests: ['src/flaky.test.ts::*'], reason: 'race, #88', until: '2026-04-01', origin: 'config' }], new Date('2026-04-02T00:00:00Z'));
    const [e] = judgeRequirements([req('flaky', ['src/flaky.test.ts::races'])], gates, expired);
    expect(e?.status).toBe('fail');
    expect(e?.failed[0]).toMatchObject({ status: 'failed', message: expect.stringMatching(/^quarantine expired \(until 2026-04-01\), blocking again/) });
  });
});

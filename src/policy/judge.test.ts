import { describe, expect, it } from 'vitest';
import type { GateConfig } from '../config/types.js';
import type { GateOutcome } from '../decide/types.js';
import { emptyEvidence, type TestResult } from '../evidence/model.js';
import { judgeGate } from './judge.js';
import { quarantineMatcher } from './quarantine.js';

function gate(extra: Partial<GateConfig> = {}): GateConfig {
  return {
    id: 'g', title: 'Gate', run: 'true', cwd: '/', env: {}, needs: [], when: 'always', optional: false, services: [], probes: [],
    artifacts: [], reports: [{ path: 'r.xml' }], expect: [], severity: 'block', timeoutMs: 1000, retry: { attempts: 1, delayMs: 0 }, ...extra,
  };
}

const t = (name: string, status: TestResult['status']): TestResult => ({ id: `s::${name}`, suite: 's', name, status, attempts: 1, flaky: false });
const passedRun = (tests: TestResult[], extra: Partial<GateOutcome> = {}): GateOutcome => ({
  id: 'g', status: 'passed', durationMs: 10, attempts: 1,
  checks: [{ check: 'command exit code', expected: '0', actual: '0', ok: true }],
  evidence: { ...emptyEvidence(), tests, reports: [{ path: 'r.xml', format: 'junit', ok: true }] },
  ...extra,
});

describe('judgeGate', () => {
  it('fails a gate whose command exited 0 while its report lists failures', () => {
    const v = judgeGate(gate(), passedRun([t('a', 'passed'), t('b', 'failed')]));
    expect(v.status).toBe('fail');
    expect(v.counts).toMatchObject({ total: 2, passed: 1, failed: 1 });
    expect(v.failingTests.map((x) => x.id)).toEqual(['s::b']);
    expect(v.checks.find((c) => c.check === 'tests.failed == 0')?.ok).toBe(false);
  });

  it('fails a test gate that ran zero tests', () => {
    const v = judgeGate(gate(), passedRun([]));
    expect(v.status).toBe('fail');
    expect(v.checks.find((c) => c.check === 'tests.executed >= 1')).toMatchObject({ ok: false, actual: '0' });
  });

  it('fails on a report that could not be read, naming it', () => {
    const out = passedRun([]);
    out.evidence!.reports = [{ path: 'r.xml', ok: false, error: { code: 'EVIDENCE_MISSING', message: 'r.xml was not written' } }];
    const v = judgeGate(gate(), out);
    expect(v.status).toBe('fail');
    expect(v.checks.find((c) => c.check === 'report r.xml')).toMatchObject({ ok: false, actual: expect.stringContaining('EVIDENCE_MISSING') });
  });

  it('turns a failure of a warn gate into WARN', () => {
    expect(judgeGate(gate({ severity: 'warn' }), passedRun([t('b', 'failed')])).status).toBe('warn');
  });

  it('does not block on a quarantined failure, but counts it, and blocks again once expired', () => {
    const tests = [t('a', 'passed'), t('flaky', 'failed')];
    const active = quarantineMatcher([{ tests: ['s::flaky'], reason: 'ticket 1', until: '2999-01-01', origin: 'config' }], new Date('2026-01-01'));
    const v = judgeGate(gate(), passedRun(tests), { quarantine: active });
    expect(v.status).toBe('pass');
    expect(v.counts).toMatchObject({ failed: 0, quarantined: 1 });
    expect(v.failingTests[0]).toMatchObject({ id: 's::flaky', quarantined: true });
    const expired = quarantineMatcher([{ tests: ['s::flaky'], reason: 'ticket 1', until: '2025-01-01', origin: 'config' }], new Date('2026-01-01'));
    const v2 = judgeGate(gate(), passedRun(tests), { quarantine: expired });
    expect(v2.status).toBe('fail');
    expect(v2.warnings.join('\n')).toContain('expired');
  });

  it('lets a runner\'s non-zero exit pass when every failure it reports is quarantined, and only then', () => {
    const q = quarantineMatcher([{ tests: ['s::flaky'], reason: 'ticket 1', origin: 'config' }], new Date('2026-01-01'));
    const exit1 = [{ check: 'command exit code', expected: '0', actual: '1', ok: false }];
    const v = judgeGate(gate(), passedRun([t('a', 'passed'), t('flaky', 'failed')], { status: 'failed', checks: exit1 }), { quarantine: q });
    expect(v.status).toBe('pass');
    expect(v.checks[0]).toMatchObject({ ok: true, message: 'exit code 1 is explained by 1 quarantined failure' });
    const alsoReal = judgeGate(gate(), passedRun([t('real', 'failed'), t('flaky', 'failed')], { status: 'failed', checks: exit1 }), { quarantine: q });
    expect(alsoReal.status).toBe('fail');
    const killed = [{ check: 'command exit code', expected: '0', actual: 'killed by SIGKILL', ok: false }];
    expect(judgeGate(gate(), passedRun([t('flaky', 'failed')], { status: 'failed', checks: killed }), { quarantine: q }).status).toBe('fail');
  });

  it('judges expectations even when no report produced evidence', () => {
    const v = judgeGate(gate({ expect: ['tests.total >= 1'] }), { id: 'g', status: 'passed', durationMs: 1, attempts: 1, checks: [] });
    expect(v.status).toBe('fail');
  });

  it('evaluates expect and warns when over budget', () => {
    const v = judgeGate(gate({ expect: ['tests.total >= 3'], budgetMs: 5 }), passedRun([t('a', 'passed')]));
    expect(v.status).toBe('fail');
    expect(v.checks.find((c) => c.check === 'tests.total >= 3')).toMatchObject({ ok: false, actual: '1' });
    const ok = judgeGate(gate({ budgetMs: 5 }), passedRun([t('a', 'passed')]));
    expect(ok.status).toBe('pass');
    expect(ok.warnings[0]).toMatch(/over budget/);
  });

  it('keeps the reason for skipped, not-run and pending gates', () => {
    expect(judgeGate(gate(), { id: 'g', status: 'skipped', reason: 'local only', durationMs: 0, attempts: 0, checks: [] })).toMatchObject({ status: 'skip', reason: 'local only' });
    const pending = judgeGate(gate({ manual: { checklist: [], evidence: 'required' } }), { id: 'g', status: 'pending', durationMs: 0, attempts: 0, checks: [] }, { approveCommand: () => 'shipgate approve g' });
    expect(pending).toMatchObject({ status: 'pending', approveCommand: 'shipgate approve g' });
  });
});

import { describe, expect, it } from 'vitest';
import type { GateConfig } from '../config/types.js';
import type { GateOutcome, StepRecord } from '../model/types.js';
import { emptyEvidence, type TestResult } from '../model/evidence.js';
import { judgeGate } from './judge.js';
import { quarantineMatcher } from './quarantine.js';

function gate(extra: Partial<GateConfig> = {}): GateConfig {
  return {
    id: 'g', title: 'Gate', run: ['true'], cwd: '/', env: {}, testsFailedExitCodes: [1], maxAgeMs: 3_600_000, needs: [], when: 'always', optional: false, external: false, services: [], checks: {},
    reports: [{ path: 'r.xml' }], expect: [], severity: 'block', timeoutMs: 1000, retry: { attempts: 1, delayMs: 0 }, ...extra,
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

  describe('a runner\'s exit code', () => {
    const q = quarantineMatcher([{ tests: ['s::flaky'], reason: 'ticket 1', origin: 'config' }], new Date('2026-01-01'));
    const step = (extra: Partial<StepRecord> = {}): StepRecord => ({ index: 1, command: 'pytest', exitCode: 1, signal: null, timedOut: false, startedAtMs: 100_000, endedAtMs: 105_000, single: true, ...extra });
    /** A failed run of one step with exit `code`, whose report r.xml was written at `mtime`. */
    const failedRun = (tests: TestResult[], s: StepRecord = step(), mtime = 104_000): GateOutcome => ({
      id: 'g', status: 'failed', durationMs: 10, attempts: 1,
      checks: [{ check: 'command exit code', expected: '0', actual: s.exitCode === null ? `killed by ${s.signal}` : String(s.exitCode), ok: false }],
      evidence: { ...emptyEvidence(), tests: tests.map((x) => ({ ...x, source: 'r.xml' })), reports: [{ path: 'r.xml', format: 'junit', ok: true, mtimeMs: mtime }] },
      steps: [s],
    });

    it('is explained when it is the tests-failed code and every failure is quarantined', () => {
      const v = judgeGate(gate(), failedRun([t('a', 'passed'), t('flaky', 'failed')]), { quarantine: q });
      expect(v.status).toBe('pass');
      expect(v.checks[0]).toMatchObject({ ok: true, message: 'exit code 1 is the runner\'s "tests failed" code, explained by 1 quarantined failure' });
    });

    it('is explained by failures the gate tolerates, and the reason names the real cause when they are too many', () => {
      const tolerant = gate({ expect: ['tests.failed <= 1'] });
      const one = judgeGate(tolerant, failedRun([t('a', 'passed'), t('b', 'failed')]));
      expect(one.status).toBe('pass');
      expect(one.checks[0]!.message).toContain('1 failure within `tests.failed <= 1`');
      const two = judgeGate(tolerant, failedRun([t('a', 'failed'), t('b', 'failed')]));
      expect(two.status).toBe('fail');
      expect(two.reason).toContain('2 of 2 tests failed');
      expect(two.reason).toContain('command exit 1');
    });

    it('is never explained for another code, a signal, a crash, or when a real failure is among them', () => {
      for (const s of [step({ exitCode: 2 }), step({ exitCode: 3 }), step({ exitCode: 4 }), step({ exitCode: 137 }), step({ exitCode: null, signal: 'SIGKILL' })]) {
        const v = judgeGate(gate(), failedRun([t('flaky', 'failed')], s), { quarantine: q });
        expect(v.status, String(s.exitCode ?? s.signal)).toBe('fail');
        // The reason is the exit code, not the (quarantined) tests.
        expect(v.reason).toMatch(s.exitCode === null ? /killed by SIGKILL/ : new RegExp(`exit ${s.exitCode}`));
        expect(v.reason).not.toMatch(/tests? failed/);
      }
      const alsoReal = judgeGate(gate(), failedRun([t('real', 'failed'), t('flaky', 'failed')]), { quarantine: q });
      expect(alsoReal.status).toBe('fail');
      expect(alsoReal.reason).toBe('1 of 2 tests failed; command exit 1');
    });

    it('honours the gate\'s own tests-failed codes', () => {
      const own = gate({ testsFailedExitCodes: [4] });
      expect(judgeGate(own, failedRun([t('flaky', 'failed')], step({ exitCode: 4 })), { quarantine: q }).status).toBe('pass');
      expect(judgeGate(own, failedRun([t('flaky', 'failed')], step({ exitCode: 1 })), { quarantine: q }).status).toBe('fail');
    });

    it('is not explained when the command has several steps (a later one may have set it)', () => {
      const v = judgeGate(gate(), failedRun([t('flaky', 'failed')], step({ command: 'pytest; exit 1', single: false })), { quarantine: q });
      expect(v.status).toBe('fail');
      expect(v.checks[0]!.message).toMatch(/several steps/);
    });

    it('is not explained by a report the step did not write, nor by a report without failures', () => {
      const stale = judgeGate(gate(), failedRun([t('flaky', 'failed')], step(), 50_000), { quarantine: q });
      expect(stale.status).toBe('fail');
      expect(stale.checks[0]!.message).toMatch(/no test report was written while this step ran/);
      const clean = judgeGate(gate(), failedRun([t('a', 'passed')]), { quarantine: q });
      expect(clean.status).toBe('fail');
      expect(clean.checks[0]!.message).toMatch(/no failing test/);
      expect(clean.reason).toBe('command exit 1');
    });

    it('of a later step is judged on that step\'s own reports', () => {
      const steps = [step(), step({ index: 2, command: 'npx eslint .', startedAtMs: 108_000, endedAtMs: 110_000 })];
      const out: GateOutcome = {
        ...failedRun([t('flaky', 'failed')]),
        checks: [
          { check: 'step 1 exit code', expected: '0', actual: '1', ok: false },
          { check: 'step 2 exit code', expected: '0', actual: '1', ok: false },
        ],
        steps,
      };
      const v = judgeGate(gate({ run: ['pytest', 'npx eslint .'] }), out, { quarantine: q });
      expect(v.checks[0]!.ok).toBe(true);
      expect(v.checks[1]).toMatchObject({ ok: false, message: expect.stringMatching(/no test report was written while this step ran/) });
      expect(v.status).toBe('fail');
      expect(v.reason).toBe('step 2 exit 1');
    });
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
    const pending = judgeGate(gate({ manual: { checklist: [], evidence: 'required', expiresMs: 1000 } }), { id: 'g', status: 'pending', durationMs: 0, attempts: 0, checks: [] }, { approveCommand: () => 'shipgate approve g' });
    expect(pending).toMatchObject({ status: 'pending', approveCommand: 'shipgate approve g' });
  });
});

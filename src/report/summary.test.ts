import { describe, expect, it } from 'vitest';
import type { Decision, GateVerdict } from '../decide/types.js';
import { multiplex } from './multiplexer.js';
import { formatCounts, formatDiagnostics, formatSummary } from './summary.js';

function v(id: string, status: GateVerdict['status'], extra: Partial<GateVerdict> = {}): GateVerdict {
  return { id, title: id, status, severity: 'block', durationMs: 10, attempts: 1, checks: [], failingTests: [], warnings: [], ...extra };
}

const decision: Decision = {
  result: 'BLOCKED', project: 'p', version: '1.2.3', commit: 'abc', branch: 'main', ci: false, strict: false, runId: 'r1',
  runDir: '/runs/r1', startedAt: '2026-01-01T00:00:00Z', durationMs: 1500,
  gates: [
    v('build', 'skip', { title: 'Container build', reason: 'local only' }),
    v('api-e2e', 'fail', {
      title: 'API E2E', reason: '2 of 17 tests failed',
      counts: { total: 17, passed: 15, failed: 2, errors: 0, skipped: 0, flaky: 0, quarantined: 0 },
      checks: [{ check: 'tests.failed == 0', expected: '== 0', actual: '2', ok: false }],
      failingTests: [{ id: 'tests/test_api.py::test_login', status: 'failed', message: 'AssertionError: 401 != 200\nmore' }],
      logPath: '/runs/r1/gate-api-e2e.log', logTail: ['collected 17 items', '2 failed, 15 passed'],
    }),
    v('coverage', 'pass', { title: 'Coverage' }),
    v('cost', 'pending', { reason: 'awaiting approval for 1.2.3', approveCommand: 'npx shipgate approve cost --by NAME --version 1.2.3' }),
  ],
  requirements: [{ id: 'api', title: 'API contract', severity: 'block', status: 'fail', evidence: [{ gate: 'api-e2e', tests: 3, passed: 2 }], unmatched: [], failed: [{ id: 'tests/test_api.py::test_login', gate: 'api-e2e', status: 'failed' }], notRun: [], unproven: [] }],
  blockers: ['api-e2e: 2 of 17 tests failed', 'cost: awaiting approval for 1.2.3'],
  warnings: [],
};

describe('formatSummary', () => {
  it('prints one line per gate with counts and status, the requirement table and the result', () => {
    const text = formatSummary(decision);
    expect(text).toContain('RELEASE GATE SUMMARY (v1.2.3)');
    expect(text).toMatch(/build\s+Container build\s+: SKIP \(local only\)/);
    expect(text).toMatch(/api-e2e\s+API E2E \(15\/17, 2 failed\)\s+: FAIL \(2 of 17 tests failed\)/);
    expect(text).toMatch(/coverage\s+Coverage\s+: PASS$/m);
    expect(text).toMatch(/api\s+API contract : FAIL \(api-e2e: 2\/3 tests\)/);
    expect(text).toContain('RESULT: RELEASE BLOCKED');
  });
  it('keeps a tag or a bare commit as the version', () => {
    expect(formatSummary({ ...decision, version: 'v2.0.0' })).toContain('(v2.0.0)');
    expect(formatSummary({ ...decision, version: 'e062fab' })).toContain('(e062fab)');
    expect(formatSummary({ ...decision, version: '43daf00' })).toContain('(43daf00)');
  });
  it('counts as passed/executed with what else happened', () => {
    expect(formatCounts({ total: 10, passed: 7, failed: 1, errors: 0, skipped: 2, flaky: 1, quarantined: 0 })).toBe('(7/8, 1 failed, 2 skipped, 1 flaky)');
  });
});

describe('formatDiagnostics', () => {
  const text = formatDiagnostics(decision);
  it('explains every gate that is not a plain pass, and nothing else', () => {
    expect(text).toContain('--- api-e2e (API E2E): FAIL ---');
    expect(text).toContain('✗ tests.failed == 0: expected == 0, got 2');
    // A multi-line message stays multi-line, indented under its test.
    expect(text).toContain('✗ tests/test_api.py::test_login [failed]\n        AssertionError: 401 != 200\n        more');
    expect(text).toContain('│ 2 failed, 15 passed');
    expect(text).not.toContain('--- coverage');
    expect(text).not.toContain('--- build');
  });
  it('prints the exact approve command for a pending manual gate, and why it is blocked', () => {
    expect(text).toContain('approve with: npx shipgate approve cost --by NAME --version 1.2.3');
    expect(text).toContain('Blocked because:\n  - api-e2e: 2 of 17 tests failed');
  });
});

describe('what a run can stand for', () => {
  it('says PARTIAL RUN and UNCOMMITTED CHANGES above the gates and in the result', () => {
    const text = formatSummary({ ...decision, partial: true, selection: '--only api-e2e', tree: { dirty: true, files: 3, fingerprint: 'f' } });
    expect(text).toContain('PARTIAL RUN (--only api-e2e): not every gate ran; never last-good nor a baseline');
    expect(text).toContain('UNCOMMITTED CHANGES: 3 files differ from abc');
    expect(text).toContain('RESULT: RELEASE BLOCKED (partial run)');
    const clean = formatSummary({ ...decision, tree: { dirty: false, files: 0, fingerprint: null } });
    expect(clean).not.toMatch(/PARTIAL|UNCOMMITTED/);
  });

  it('lists failing findings with level, rule, file:line and message, and how many more', () => {
    const d: Decision = {
      ...decision,
      gates: [
        v('scan', 'fail', {
          reason: 'findings.error == 0: expected == 0, got 25',
          checks: [{ check: 'findings.error == 0', expected: '== 0', actual: '25', ok: false }],
          findings: [{ level: 'error', rule: 'no-eval', tool: 'eslint', file: 'src/a.js', line: 3, message: 'eval is evil', new: true }],
          findingsTotal: 25,
        }),
      ],
    };
    const text = formatDiagnostics(d);
    expect(text).toContain('findings (25):\n    ERROR no-eval (new) src/a.js:3 — eval is evil\n    … and 24 more');
  });
});

describe('multiplex', () => {
  it('keeps the run going when one reporter throws, and says which hook failed', async () => {
    const seen: string[] = [];
    const errors: string[] = [];
    const m = multiplex(
      [{ onGateStart: () => { throw new Error('boom'); } }, { onGateStart: (id) => seen.push(id), onDecision: async () => { throw new Error('late'); } }],
      (hook) => errors.push(hook),
    );
    m.onGateStart('a');
    await m.onDecision(decision);
    expect(seen).toEqual(['a']);
    expect(errors).toEqual(['onGateStart', 'onDecision']);
  });
});

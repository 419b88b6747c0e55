import { describe, expect, it } from 'vitest';
import { decide, type DecideInput } from './decide.js';
import type { GateVerdict, RequirementVerdict } from './types.js';

function v(id: string, status: GateVerdict['status'], severity: GateVerdict['severity'] = 'block', reason?: string): GateVerdict {
  return { id, title: id, status, severity, durationMs: 0, attempts: 1, checks: [], failingTests: [], warnings: [], reason };
}

const base: DecideInput = {
  project: 'p', version: '1.0.0', commit: null, branch: null, ci: false, strict: false, runId: 'r', runDir: '/r',
  startedAt: '2026-01-01T00:00:00Z', durationMs: 1, gates: [], requirements: [],
};

describe('decide', () => {
  it('is READY when every blocking gate passed; warn and info failures do not block', () => {
    const d = decide({ ...base, gates: [v('a', 'pass'), v('b', 'warn', 'warn', 'coverage low'), v('c', 'info', 'info')] });
    expect(d.result).toBe('READY');
    expect(d.warnings).toContain('b: coverage low');
  });

  it('blocks on a failed, pending, not-run or cancelled blocking gate, naming each', () => {
    for (const status of ['fail', 'pending', 'not-run', 'cancelled'] as const) {
      const d = decide({ ...base, gates: [v('a', 'pass'), v('x', status)] });
      expect(d.result).toBe('BLOCKED');
      expect(d.blockers[0]).toMatch(/^x: /);
    }
  });

  it('names a skipped blocking gate, and blocks on it only with --strict', () => {
    const gates = [v('a', 'pass'), v('build', 'skip', 'block', 'local only')];
    expect(decide({ ...base, gates }).result).toBe('READY');
    const strict = decide({ ...base, gates, strict: true });
    expect(strict.result).toBe('BLOCKED');
    expect(strict.blockers[0]).toContain('build: skipped (local only)');
    expect(decide({ ...base, gates: [v('a', 'pass'), v('opt', 'skip', 'warn')], strict: true }).result).toBe('READY');
    expect(decide({ ...base, gates: [v('a', 'pass'), { ...v('live', 'skip', 'block', 'optional; enable with --with live'), optional: true }], strict: true }).result).toBe('READY');
  });

  it('blocks on a failed requirement and names the tests', () => {
    const req: RequirementVerdict = {
      id: 'api', title: 'API', severity: 'block', status: 'fail', evidence: [], unmatched: ['tests/x::*'],
      failed: [{ id: 't::a', gate: 'e2e', status: 'failed' }], notRun: [{ id: 't::b', gate: 'e2e' }], unproven: [],
    };
    const d = decide({ ...base, gates: [v('a', 'pass')], requirements: [req] });
    expect(d.result).toBe('BLOCKED');
    expect(d.blockers[0]).toBe('requirement api: tests/x::* (no such test ran), t::a failed, t::b did not run');
  });

  it('is never READY when no gate ran', () => {
    const d = decide({ ...base, gates: [v('a', 'skip', 'block', 'CI only'), v('b', 'skip', 'warn', 'local only')] });
    expect(d.result).toBe('BLOCKED');
    expect(d.blockers[0]).toMatch(/^no gate ran/);
  });

  it('never reads READY after an interruption', () => {
    const d = decide({ ...base, gates: [v('a', 'pass')], interrupted: true });
    expect(d.result).toBe('BLOCKED');
    expect(d.interrupted).toBe(true);
  });
});

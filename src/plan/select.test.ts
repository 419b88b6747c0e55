import { describe, expect, it } from 'vitest';
import type { Config, GateConfig } from '../config/types.js';
import { UsageError } from '../errors.js';
import { findCycle, topoOrder } from './graph.js';
import { selectGates } from './select.js';

function gate(id: string, extra: Partial<GateConfig> = {}): GateConfig {
  return {
    id, title: id, run: ['true'], cwd: '/', env: {}, testsFailedExitCodes: [1], maxAgeMs: 3_600_000, needs: [], when: 'always', optional: false, external: false, services: [], checks: {},
    reports: [], expect: [], severity: 'block', timeoutMs: 1000, retry: { attempts: 1, delayMs: 0 }, ...extra,
  };
}

function config(gates: GateConfig[]): Config {
  return {
    name: 'p', file: '/shipgate.yml', rootDir: '/', hash: 'h', defaults: { timeoutMs: 1000, severity: 'block', quarantineMaxMs: 1000, logMaxBytes: 1000 }, services: {},
    gates: Object.fromEntries(gates.map((g) => [g.id, g])), requirements: {}, quarantine: [], store: {},
    baseline: { branch: 'main', require: false, runs: 5, minRuns: 3, warnPct: 10, failPct: 20, metrics: {} }, rollback: [], publish: [], secrets: [],
  };
}

const cfg = config([
  gate('build', { when: 'local' }),
  gate('unit'),
  gate('e2e', { needs: ['build', 'unit'], services: ['api'] }),
  gate('live', { optional: true, needs: ['e2e'] }),
  gate('nightly', { when: 'ci' }),
]);
const byId = (plan: ReturnType<typeof selectGates>) => Object.fromEntries(plan.gates.map((g) => [g.id, g]));

describe('selectGates', () => {
  it('skips by when and optional, and lets dependents run without a skipped need', () => {
    const p = byId(selectGates(cfg, { ci: true }));
    expect(p.build).toMatchObject({ action: 'skip', reason: 'local only' });
    expect(p.nightly!.action).toBe('run');
    expect(p.live).toMatchObject({ action: 'skip', reason: 'optional; enable with --with live' });
    expect(p.e2e).toMatchObject({ action: 'run', ranWithout: ['build'], phase: 1 });
    const local = byId(selectGates(cfg, { ci: false }));
    expect(local.nightly).toMatchObject({ action: 'skip', reason: 'CI only' });
    expect(local.build!.action).toBe('run');
  });

  it('enables optional gates with --with and leaves gates out with --skip', () => {
    const p = byId(selectGates(cfg, { ci: false, with: ['live'], skip: ['unit'] }));
    expect(p.live!.action).toBe('run');
    expect(p.unit).toMatchObject({ action: 'skip', reason: 'skipped with --skip' });
    expect(p.e2e!.ranWithout).toEqual(['unit']);
  });

  it('runs only the gate and what it needs with --only', () => {
    const p = byId(selectGates(cfg, { ci: false, only: ['e2e'] }));
    expect(p.e2e!.action).toBe('run');
    expect(p.build!.action).toBe('run');
    expect(p.unit!.action).toBe('run');
    expect(p.nightly).toMatchObject({ action: 'skip', reason: 'not selected by --only' });
    expect(p.live!.action).toBe('skip');
  });

  it('counts service users among running gates only', () => {
    expect(selectGates(cfg, { ci: false }).serviceUsers).toEqual({ api: 1 });
    expect(selectGates(cfg, { ci: false, skip: ['e2e'] }).serviceUsers).toEqual({});
  });

  it('rejects unknown ids with a suggestion', () => {
    expect(() => selectGates(cfg, { ci: false, only: ['e2f'] })).toThrow(UsageError);
    try {
      selectGates(cfg, { ci: false, with: ['lve'] });
    } catch (e) {
      expect((e as UsageError).hint).toBe('did you mean "live"?');
    }
  });
});

describe('graph', () => {
  it('orders needs first and finds cycles', () => {
    expect(topoOrder({ c: { needs: ['b'] }, b: { needs: ['a'] }, a: { needs: [] } })).toEqual(['a', 'b', 'c']);
    expect(findCycle({ a: { needs: ['b'] }, b: { needs: ['a'] } })).toEqual(['a', 'b', 'a']);
    expect(findCycle({ a: { needs: ['b'] }, b: { needs: [] } })).toBeUndefined();
  });
});

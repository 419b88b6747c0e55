import { describe, expect, it } from 'vitest';
import type { Config, GateConfig } from '../config/types.js';
import { selectGates } from '../plan/select.js';
import { formatPlan } from './plan.js';

function gate(id: string, extra: Partial<GateConfig> = {}): GateConfig {
  return {
    id, title: id, run: ['true'], cwd: '/', env: {}, testsFailedExitCodes: [1], maxAgeMs: 3_600_000, needs: [], when: 'always', optional: false, external: false, services: [], checks: {},
    reports: [], expect: [], severity: 'block', timeoutMs: 1000, retry: { attempts: 1, delayMs: 0 }, ...extra,
  };
}

const config: Config = {
  name: 'p', file: '/p/shipgate.yml', rootDir: '/p', hash: 'h', defaults: { timeoutMs: 1000, severity: 'block', quarantineMaxMs: 1000, logMaxBytes: 1000 }, services: {},
  gates: Object.fromEntries(
    [gate('unit'), gate('e2e', { needs: ['unit'], services: ['api'] }), gate('build', { when: 'ci' }), gate('live', { optional: true })].map((g) => [g.id, g]),
  ),
  requirements: {}, quarantine: [], store: {}, baseline: { branch: 'main', require: false, runs: 5, minRuns: 3, warnPct: 10, failPct: 20, metrics: {} }, rollback: [], publish: [], secrets: [],
};

describe('formatPlan', () => {
  const text = formatPlan(config, selectGates(config, { ci: false }));
  it('lists running gates by phase with what they need', () => {
    expect(text).toMatch(/phase 1:\n\s+RUN\s+unit/);
    expect(text).toMatch(/phase 2:\n\s+RUN\s+e2e\s+\(needs unit; services api\)/);
    expect(text).toContain('2 to run, 2 skipped. Nothing was executed.');
  });
  it('warns about --strict only for blocking gates that would count, not for optional ones', () => {
    expect(text).toMatch(/SKIP\s+build\s+CI only — blocking gate; --strict would block the release/);
    expect(text).toMatch(/SKIP\s+live\s+optional; enable with --with live$/m);
  });
});

/** The CI examples under examples/ci/ parse, and name the paths shipgate really writes. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers.js';

const read = (f: string) => parse(readFileSync(join(REPO, 'examples', 'ci', f), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('examples/ci', () => {
  it('GitLab: the reports are the files the gitlab reporter writes; history cached; the run folder kept', () => {
    const job = read('gitlab-ci.yml')['release-gate'];
    expect(job.artifacts.reports).toEqual({ junit: '.shipgate/reports/junit.xml', codequality: '.shipgate/reports/codequality.json' });
    expect(job.artifacts.paths).toContain('.shipgate/runs/');
    expect(job.cache.paths).toEqual(['.shipgate/shipgate.db']);
    expect(job.cache.when).toBe('always');
  });
  it('GitHub: cache restore and save of the history, the gate step with outputs, the run folder uploaded', () => {
    const wf = read('github-actions.yml');
    const steps = wf.jobs.gate.steps as { uses?: string; with?: Record<string, string>; id?: string; run?: string }[];
    expect(steps.filter((s) => s.uses?.startsWith('actions/cache/')).map((s) => s.with!.path)).toEqual(['.shipgate/shipgate.db', '.shipgate/shipgate.db']);
    expect(steps.find((s) => s.id === 'gate')!.run).toMatch(/^npx shipgate run /);
    expect(wf.jobs.gate.outputs.result).toBe('${{ steps.gate.outputs.result }}');
    expect(steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!.with!.path).toContain('.shipgate/runs/');
  });
  it('the admission policy checks the predicate shipgate writes', () => {
    const text = readFileSync(join(REPO, 'examples', 'ci', 'admission', 'kyverno-verify-release.yaml'), 'utf8');
    const policy = parse(text) as { spec: { rules: { verifyImages: { attestations: { type: string }[] }[] }[] } };
    expect(policy.spec.rules[0]!.verifyImages[0]!.attestations[0]!.type).toBe('https://slsa.dev/verification_summary/v1');
  });
});

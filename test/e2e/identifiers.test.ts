/**
 * Identifiers and flags, through the real CLI: ids that collide with object internals are ordinary
 * ids or configuration errors, never silently dropped; selection flags naming an unknown id exit 2
 * with a did-you-mean; a chain of 100,000 needs validates without a stack overflow and a cycle at
 * its end is CONFIG_CYCLE; CI is recognised as the ecosystem does it, not only by `$CI`.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gate, makeProject, parseDecision, removeProject, runCli } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeProject));
});

async function project(yml: string): Promise<string> {
  const dir = await makeProject({ 'shipgate.yml': yml });
  dirs.push(dir);
  return dir;
}

describe('ids that collide with object internals', () => {
  it('a gate named __proto__ is a configuration error, never a gate that silently vanishes', async () => {
    const dir = await project('gates:\n  __proto__:\n    run: touch proto.ran\n  ok:\n    run: touch ok.ran\n');
    const res = await runCli(['validate'], { cwd: dir });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('"__proto__" is not a usable id (at gates.__proto__) [CONFIG_VALUE]');
    expect((await runCli(['run', '--no-history'], { cwd: dir })).code).toBe(2);
    expect(existsSync(join(dir, 'ok.ran'))).toBe(false);
  });

  it('a service or a requirement named __proto__ is a configuration error too', async () => {
    const svc = await project('services:\n  __proto__:\n    run: node -e "setInterval(() => {}, 1000)"\ngates:\n  ok:\n    run: touch ok.ran\n');
    const s = await runCli(['validate'], { cwd: svc });
    expect(s.code).toBe(2);
    expect(s.stderr).toContain('"__proto__" is not a usable id (at services.__proto__) [CONFIG_VALUE]');
    const req = await project('gates:\n  ok:\n    run: touch ok.ran\nrequirements:\n  __proto__: { tests: ["a::*"] }\n');
    const r = await runCli(['validate'], { cwd: req });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"__proto__" is not a usable id (at requirements.__proto__) [CONFIG_VALUE]');
  });

  it('gates and services named constructor or toString are ordinary; a need naming an inherited name is unknown', async () => {
    const dir = await project(`services:
  toString:
    run: node -e "setInterval(() => {}, 1000)"
gates:
  constructor:
    run: touch constructor.ran
  hasOwnProperty:
    needs: [constructor]
    services: [toString]
    run: touch own.ran
`);
    const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    const d = parseDecision(res.stdout);
    expect(d.gates.map((g) => [g.id, g.status])).toEqual([
      ['constructor', 'pass'],
      ['hasOwnProperty', 'pass'],
    ]);
    expect(existsSync(join(dir, 'own.ran'))).toBe(true);

    await writeFile(join(dir, 'shipgate.yml'), 'gates:\n  a:\n    run: "true"\n    needs: [valueOf]\n    services: [isPrototypeOf]\n');
    const bad = await runCli(['validate'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown gate "valueOf" in needs');
    expect(bad.stderr).toContain('unknown service "isPrototypeOf"');
  });
});

describe('selection flags', () => {
  const yml = 'gates:\n  unit:\n    run: "true"\n  e2e:\n    run: "true"\n    needs: [unit]\n  live:\n    run: "true"\n    optional: true\n';

  it.each([
    ['--only', 'untt', 'did you mean "unit"?'],
    ['--with', 'liev', 'did you mean "live"?'],
    ['--skip', 'e2', 'did you mean "e2e"?'],
    ['--only', 'constructor', 'gates: unit, e2e, live'],
    ['--skip', 'toString', 'gates: unit, e2e, live'],
  ])('%s %s exits 2 with a hint, running nothing', async (flag, id, hint) => {
    const dir = await project(yml.replace(/"true"/g, 'touch ran'));
    for (const cmd of [['run', '--no-history'], ['plan']]) {
      const res = await runCli([...cmd, flag, id], { cwd: dir });
      expect(res.code, res.stderr).toBe(2);
      expect(res.stderr).toContain(`no gate named "${id}"`);
      expect(res.stderr).toContain(hint);
      expect(res.stderr).not.toContain('internal error');
    }
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });
});

describe('a long chain of needs', () => {
  /** n gates, each needing the previous one, declared last-first (the worst order for a naive walk) unless told otherwise. */
  function chain(n: number, cycle: boolean, order: 'last-first' | 'first-first' | 'shuffled' = 'last-first'): string {
    const ids = Array.from({ length: n }, (_, k) => n - 1 - k);
    if (order === 'first-first') ids.reverse();
    // A fixed shuffle (a multiplicative step through the ids), so every run sees the same file.
    if (order === 'shuffled') for (let k = 0; k < n; k++) ids[k] = (k * 7919) % n;
    const lines = ['gates:'];
    for (const i of ids) {
      const needs = i > 0 ? `, needs: [g${i - 1}]` : cycle ? `, needs: [g${n - 1}]` : '';
      lines.push(`  g${i}: {run: t${needs}}`);
    }
    return `${lines.join('\n')}\n`;
  }

  it('100,000 needs validate without a stack overflow; a cycle closing the chain is CONFIG_CYCLE', async () => {
    const ok = await project(chain(100_000, false));
    const res = await runCli(['validate'], { cwd: ok, timeoutMs: 120_000 });
    expect(res.code, res.stderr.slice(0, 500)).toBe(0);
    expect(res.stdout).toContain('valid (100000 gates');

    const looped = await project(chain(100_000, true));
    const cyc = await runCli(['validate'], { cwd: looped, timeoutMs: 120_000 });
    expect(cyc.code).toBe(2);
    expect(cyc.stderr).toMatch(/cycle in needs: g99999 → g99998 → .* more … → .*g0 → g99999 .*\[CONFIG_CYCLE\]/);
    expect(cyc.stderr).not.toMatch(/RangeError|Maximum call stack/);

    // Declared in another order, the same chain is the same chain. 20,000 deep is already far
    // beyond any call stack (about 10,000 frames), at a fifth of the cost.
    for (const order of ['first-first', 'shuffled'] as const) {
      const other = await project(chain(20_000, false, order));
      const r = await runCli(['validate'], { cwd: other, timeoutMs: 120_000 });
      expect(r.code, `${order}: ${r.stderr.slice(0, 500)}`).toBe(0);
      expect(r.stdout).toContain('valid (20000 gates');
    }
  }, 300_000);
});

describe('CI is recognised the way the ecosystem does it', () => {
  const yml = 'gates:\n  ci-only:\n    run: "true"\n    when: ci\n  local-only:\n    run: "true"\n    when: local\n';

  it.each([
    ['Jenkins', { JENKINS_URL: 'https://jenkins.example/', BUILD_ID: '42' }],
    ['TeamCity', { TEAMCITY_VERSION: '2024.1' }],
    ['Azure Pipelines', { TF_BUILD: 'True' }],
    ['Buildkite', { BUILDKITE: 'true' }],
    ['GitLab CI', { GITLAB_CI: 'true' }],
    ['CircleCI', { CIRCLECI: 'true' }],
    ['GitHub Actions', { GITHUB_ACTIONS: 'true' }],
  ])('%s without $CI runs `when: ci` gates and skips `when: local`', async (_name, env) => {
    const dir = await project(yml);
    const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir, env });
    expect(res.code, res.stderr).toBe(0);
    const d = parseDecision(res.stdout);
    expect(d.ci).toBe(true);
    expect(gate(d, 'ci-only').status).toBe('pass');
    expect(gate(d, 'local-only')).toMatchObject({ status: 'skip', reason: 'local only' });
  });

  it('honest: no CI variable means local; CI=false means local even on a CI vendor', async () => {
    const dir = await project(yml);
    const local = parseDecision((await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir })).stdout);
    expect(local.ci).toBe(false);
    expect(gate(local, 'ci-only').status).toBe('skip');
    const optedOut = parseDecision((await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir, env: { CI: 'false', GITHUB_ACTIONS: 'true' } })).stdout);
    expect(optedOut.ci).toBe(false);
  });
});

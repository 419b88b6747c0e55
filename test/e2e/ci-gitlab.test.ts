/**
 * In a GitLab-CI-shaped environment (GITLAB_CI, CI_PROJECT_DIR) one `shipgate run` writes the
 * JUnit report and the Code Quality report at the stable paths a `.gitlab-ci.yml` names, each valid
 * against its format.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { validateXML } from 'xmllint-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { SECRET, ciProject } from '../fixtures/ci/project.js';
import type { Decision } from '../../src/decide/types.js';
import { NODE, makeProject, removeProject, runCli, shq } from './helpers.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'ci');
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeProject(d);
});

describe('GitLab CI', () => {
  it('writes .shipgate/reports/junit.xml (valid JUnit) and codequality.json (valid Code Quality) by default', async () => {
    const dir = await ciProject({ fail: true });
    dirs.push(dir);
    const r = await runCli(['run', '1.2.3', '--no-history'], { cwd: dir, env: { GITLAB_CI: 'true', CI_PROJECT_DIR: dir, API_TOKEN: SECRET } });
    expect(r.code).toBe(1);
    const xml = await readFile(join(dir, '.shipgate', 'reports', 'junit.xml'), 'utf8');
    const v = await validateXML({ xml: [{ fileName: 'junit.xml', contents: xml }], schema: [{ fileName: 'junit.xsd', contents: await readFile(join(FIX, 'junit.xsd'), 'utf8') }] });
    expect(v.errors).toEqual([]);
    expect(xml).toMatch(/<testcase name="unit" classname="shipgate\.demo\.gates"[^>]*>\s*<failure /);
    expect(xml).toMatch(/<testcase name="api" classname="shipgate\.demo\.requirements"[^>]*>\s*<failure /);
    expect(xml).toMatch(/<testcase name="build" classname="shipgate\.demo\.gates" time="[\d.]+">\s*<system-out>/);
    expect(xml).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(xml).not.toContain(SECRET);

    const cq = JSON.parse(await readFile(join(dir, '.shipgate', 'reports', 'codequality.json'), 'utf8')) as { location: { path: string; lines: { begin: number } } }[];
    const ajv = new Ajv({ allErrors: true, strict: true });
    expect(ajv.validate(JSON.parse(await readFile(join(FIX, 'codequality.schema.json'), 'utf8')) as object, cq)).toBe(true);
    expect(cq.map((i) => `${i.location.path}:${i.location.lines.begin}`)).toEqual(['src/a.js:3', 'src/b.js:7']);
  });

  it('a gate in a subfolder: its findings and test files are linked relative to the repository, not to the gate', async () => {
    const emit = (what: string) => JSON.stringify([NODE, join(FIX, 'emit.mjs'), what, 'fail'].map(shq).join(' '));
    const dir = await makeProject({
      'packages/api/.keep': '',
      'shipgate.yml': `name: mono
gates:
  lint:
    cwd: packages/api
    run: ${emit('sarif')}
    reports: [reports/lint.sarif]
    expect: ["findings.error == 0"]
  unit:
    cwd: packages/api
    run: ${emit('junit')}
    reports: [reports/junit.xml]
  root-lint:
    run: ${emit('sarif')}
    reports: [reports/lint.sarif]
    expect: ["findings.error == 0"]
`,
    });
    dirs.push(dir);
    const summary = join(dir, 'summary.md');
    expect((await runCli(['run', '1.2.3', '--no-history'], { cwd: dir, env: { GITLAB_CI: 'true', CI_PROJECT_DIR: dir } })).code).toBe(1);
    const cq = JSON.parse(await readFile(join(dir, '.shipgate', 'reports', 'codequality.json'), 'utf8')) as { location: { path: string; lines: { begin: number } } }[];
    expect(cq.map((i) => `${i.location.path}:${i.location.lines.begin}`).sort()).toEqual(['packages/api/src/a.js:3', 'packages/api/src/b.js:7', 'src/a.js:3', 'src/b.js:7']);
    // The same paths in the GitHub annotations, test files included; the decision says where the gate ran.
    const r = await runCli(['run', '1.2.3', '--no-history', '--json'], { cwd: dir, env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, GITHUB_WORKSPACE: dir } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^::error file=packages\/api\/src\/a\.js,line=3,/m);
    expect(r.stderr).toMatch(/^::error file=packages\/api\/tests\/test_api\.py,/m);
    expect(r.stderr).toMatch(/^::error file=src\/a\.js,line=3,/m);
    const decision = JSON.parse(r.stdout) as Decision;
    expect(decision.gates.find((g) => g.id === 'lint')?.cwd).toBe('packages/api');
    expect(decision.gates.find((g) => g.id === 'root-lint')?.cwd).toBeUndefined();
  });

  it('a ready run has no failure and an empty Code Quality report', async () => {
    const dir = await ciProject({ fail: false });
    dirs.push(dir);
    const r = await runCli(['run', '1.2.3', '--no-history'], { cwd: dir, env: { GITLAB_CI: 'true', CI_PROJECT_DIR: dir } });
    expect(r.code).toBe(0);
    expect(await readFile(join(dir, '.shipgate', 'reports', 'junit.xml'), 'utf8')).not.toContain('<failure');
    expect(JSON.parse(await readFile(join(dir, '.shipgate', 'reports', 'codequality.json'), 'utf8'))).toEqual([]);
  });

  it('--report gitlab=DIR writes both files there, outside GitLab too', async () => {
    const dir = await ciProject({ fail: false });
    dirs.push(dir);
    const r = await runCli(['run', '1.2.3', '--no-history', '--report', 'gitlab=out/gl'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(await readFile(join(dir, 'out', 'gl', 'junit.xml'), 'utf8')).toContain('<testsuites');
    expect(await readFile(join(dir, 'out', 'gl', 'codequality.json'), 'utf8')).toBe('[]\n');
  });
});

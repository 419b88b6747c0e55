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
import { removeProject, runCli } from './helpers.js';

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

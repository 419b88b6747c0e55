/** `--report KIND[=PATH]` for every file kind, outside any CI: where each goes, and what a bad request says. */
import { existsSync } from 'node:fs';
import { readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ciProject } from '../fixtures/ci/project.js';
import { removeProject, runCli } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeProject(d);
});

describe('--report', () => {
  it('without PATH each kind goes to .shipgate/reports/; with PATH where asked; no CI report outside CI', async () => {
    const dir = await ciProject({ fail: true });
    dirs.push(dir);
    const r = await runCli(['run', '1.2.3', '--no-history', '--report', 'json', '--report', 'junit', '--report', 'markdown', '--report', 'html', '--report', 'codequality', '--report', 'junit=out/x.xml'], { cwd: dir });
    expect(r.code).toBe(1);
    for (const f of ['decision.json', 'junit.xml', 'summary.md', 'report.html', 'codequality.json']) expect(existsSync(join(dir, '.shipgate', 'reports', f))).toBe(true);
    expect(await readFile(join(dir, 'out', 'x.xml'), 'utf8')).toBe(await readFile(join(dir, '.shipgate', 'reports', 'junit.xml'), 'utf8'));
    expect(JSON.parse(await readFile(join(dir, '.shipgate', 'reports', 'decision.json'), 'utf8'))).toMatchObject({ result: 'BLOCKED' });
    expect(r.stdout).not.toMatch(/^::stop-commands|##vso\[task\.logissue/m);
  });

  it('an unknown kind or an empty path is a usage error before anything runs', async () => {
    const dir = await ciProject({ fail: false });
    dirs.push(dir);
    const bad = await runCli(['run', '--no-history', '--report', 'pdf=x.pdf'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expected KIND or KIND=PATH with KIND one of json, junit, markdown, html, codequality, github, gitlab, buildkite, azure');
    expect(existsSync(join(dir, '.shipgate', 'runs'))).toBe(false);
    expect((await runCli(['run', '--no-history', '--report', 'junit='], { cwd: dir })).code).toBe(2);
  });

  it('a requested report that cannot be written: the decision is printed, the failure said, a READY run exits 2', async () => {
    const dir = await ciProject({ fail: false });
    dirs.push(dir);
    await symlink('/dev/null', join(dir, 'to-device.xml'));
    const r = await runCli(['run', '1.2.3', '--no-history', '--report', 'junit=to-device.xml'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('RESULT: RELEASE READY');
    expect(r.stderr).toMatch(/the junit report \(.*to-device\.xml\) failed: .*symlink to a device.*\[OUTPUT_UNWRITABLE\] \(the decision is unchanged\)/);
  });
});

import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { exportedEnv, interpolateCommand, interpolateText, unknownVariables, type Vars } from './interpolate.js';

const vars: Vars = { version: '1.0; touch pwned', gitSha: 'abc', gitBranch: 'main', runDir: '/r', env: { HOME: '/home/x' } };

describe('interpolation', () => {
  it('turns variables into quoted references to the environment, never into shell text', () => {
    expect(interpolateCommand('echo ${version}', vars)).toBe('echo "${SHIPGATE_VERSION}"');
    expect(interpolateCommand('echo "v=${git.sha}" \'${env.HOME}\'', vars)).toBe(`echo "v=\${SHIPGATE_GIT_SHA}" ''"\${HOME}"''`);
  });
  it('keeps every value literal in /bin/sh, in any quoting context, even inside $(…)', () => {
    const nasty = ['$(echo PWNED)', '`echo PWNED`', '1.0"; echo PWNED; echo "', "1.0'; echo PWNED; echo '", '1; echo PWNED', 'a\\b $HOME', '', '-n'];
    const templates: [string, (v: string) => string][] = [
      ['printf %s ${version}', (v) => v],
      ['printf %s "v=${version}!"', (v) => `v=${v}!`],
      ["printf %s 'v=${version}!'", (v) => `v=${v}!`],
      ['printf %s "v=$(printf %s "${version}")"', (v) => `v=${v}`],
    ];
    for (const version of nasty) {
      const v = { ...vars, version };
      for (const [template, expected] of templates) {
        const out = execFileSync('/bin/sh', ['-c', interpolateCommand(template, v)], { encoding: 'utf8', env: exportedEnv(v) });
        expect({ template, version, out }).toEqual({ template, version, out: expected(version) });
      }
    }
  });
  it('never writes a secret into the command text', () => {
    const cmd = interpolateCommand('curl -H "Authorization: Bearer ${env.TOKEN}" x', { ...vars, env: { TOKEN: 's3cr3t' } });
    expect(cmd).not.toContain('s3cr3t');
  });
  it('inserts values as they are into URLs and paths', () => {
    expect(interpolateText('dist/app-${version}.tar', { ...vars, version: '1.2.3' })).toBe('dist/app-1.2.3.tar');
  });
  it('fails on an unset environment variable instead of inserting nothing', () => {
    expect(() => interpolateCommand('echo ${env.NOPE_NOT_SET}', vars)).toThrow(/NOPE_NOT_SET is not set/);
  });
  it('lists unknown variable names', () => {
    expect(unknownVariables('a ${version} ${verison} ${env.X} ${env.1bad}')).toEqual(['verison', 'env.1bad']);
  });
  it('exports SHIPGATE_* variables', () => {
    expect(exportedEnv({ ...vars, gate: 'g' })).toMatchObject({ SHIPGATE_VERSION: vars.version, SHIPGATE_GIT_SHA: 'abc', SHIPGATE_RUN_DIR: '/r', SHIPGATE_GATE: 'g' });
  });
});

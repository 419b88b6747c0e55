import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { exportedEnv, interpolateCommand, interpolateText, unknownVariables, type Vars } from './interpolate.js';

const vars: Vars = { version: '1.0; touch pwned', gitSha: 'abc', gitBranch: 'main', runDir: '/r', env: { HOME: '/home/x' } };

describe('interpolation', () => {
  it('quotes values into commands so metacharacters stay data', () => {
    expect(interpolateCommand('echo ${version}', vars)).toBe(`echo '1.0; touch pwned'`);
    expect(interpolateCommand('echo ${git.sha} ${env.HOME}', vars)).toBe('echo abc /home/x');
  });
  it('keeps every value literal in /bin/sh, unquoted or inside double or single quotes', () => {
    const nasty = ['$(echo PWNED)', '`echo PWNED`', '1.0"; echo PWNED; echo "', "1.0'; echo PWNED; echo '", 'a\\b $HOME', '', '-n'];
    for (const version of nasty) {
      for (const template of ['printf %s ${version}', 'printf %s "v=${version}!"', "printf %s 'v=${version}!'"]) {
        const cmd = interpolateCommand(template, { ...vars, version });
        const out = execFileSync('/bin/sh', ['-c', cmd], { encoding: 'utf8' });
        const expected = template.includes('v=') ? `v=${version}!` : version;
        expect({ template, version, out }).toEqual({ template, version, out: expected });
      }
    }
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

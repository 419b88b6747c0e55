import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { exportedEnv, interpolateCommand, interpolateText, InterpolationError, unknownVariables, type Vars } from './interpolate.js';

const vars: Vars = { version: '1.0.0', gitSha: 'abc', gitBranch: 'main', runDir: '/r', env: { HOME: '/home/x' } };

describe('interpolation', () => {
  it('turns variables into quoted references to the environment, never into shell text', () => {
    expect(interpolateCommand('echo ${version}', vars)).toBe('echo "${SHIPGATE_VERSION}"');
    expect(interpolateCommand('echo "v=${git.sha}" \'${env.HOME}\'', vars)).toBe(`echo "v=\${SHIPGATE_GIT_SHA}" ''"\${HOME}"''`);
  });
  it('refuses a value a shell could read as code, in every context, and names the character', () => {
    const nasty = ['$(echo PWNED)', '`echo PWNED`', '1.0"; echo PWNED; echo "', "1.0'; echo PWNED; echo '", '1; echo PWNED', 'a\\b', 'a b', 'x\nid', '#', 'a|b', 'a&b', 'a*'];
    for (const version of nasty) {
      for (const template of ['echo ${version}', "sh -c 'echo ${version}'", 'sh -c "echo ${version}"', 'eval "echo ${version}"', 'sh <<EOF\necho ${version}\nEOF']) {
        let err: unknown;
        try {
          interpolateCommand(template, { ...vars, version });
        } catch (e) {
          err = e;
        }
        expect(err, `${template} with ${JSON.stringify(version)}`).toBeInstanceOf(InterpolationError);
        expect((err as InterpolationError).code).toBe('VALUE_UNSAFE');
      }
    }
    expect(() => interpolateCommand('echo ${git.branch}', { ...vars, gitBranch: 'feat;id' })).toThrow('${git.branch} holds ";", which a shell could read as code');
    expect(() => interpolateCommand('echo ${env.X}', { ...vars, env: { X: 'a b' } })).toThrow('${env.X} holds a space');
  });

  it('keeps an inert value literal in every context, nested shells, eval and heredocs included', () => {
    const honest = ['1.2.3', 'v2.0.0-rc.1+build.5', 'feature/login-page', '9f2c1a7', '', 'a=b,c%d:e@f'];
    const templates: [string, (v: string) => string][] = [
      ['printf %s ${version}', (v) => v],
      ['printf %s "v=${version}!"', (v) => `v=${v}!`],
      ["printf %s 'v=${version}!'", (v) => `v=${v}!`],
      ['printf %s "v=$(printf %s "${version}")"', (v) => `v=${v}`],
      ["sh -c 'printf %s ${version}'", (v) => v],
      ['sh -c "printf %s ${version}"', (v) => v],
      ['eval "printf %s ${version}"', (v) => v],
      ['sh <<EOF\nprintf %s ${version}\nEOF', (v) => v],
      ["cat <<'EOF'\nv=${version}\nEOF", (v) => `v=${v}\n`],
      ['cat <<-EOF\n\tv=${version}\n\tEOF', (v) => `v=${v}\n`],
    ];
    for (const version of honest) {
      const v = { ...vars, version };
      for (const [template, expected] of templates) {
        // An empty value vanishes as an unquoted word in a nested shell; that is the shell's rule, not ours.
        if (version === '' && /sh -c|eval/.test(template)) continue;
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

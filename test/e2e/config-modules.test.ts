/**
 * Configuration as a module (shipgate.config.mjs / .ts) through the real CLI. The CLI runs as a
 * script compiled through node:vm (src/cli/load-bundle.ts), where import() is not allowed: these
 * imports go through the loader's own (util/import-module.ts), so a module config keeps everything
 * an ES module may do, top-level await included.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeProject, removeProject, runCli } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeProject));
});

const MARK = `node -e "require('fs').writeFileSync('ran.marker', '')"`;

async function project(files: Record<string, string>): Promise<string> {
  const dir = await makeProject(files);
  dirs.push(dir);
  return dir;
}

describe('module configurations', () => {
  it('runs a shipgate.config.mjs that uses top-level await and imports', async () => {
    const dir = await project({
      'shipgate.config.mjs': `import { platform } from 'node:os';\nconst run = await Promise.resolve(${JSON.stringify(MARK)});\nexport default { gates: { marked: { run, title: 'on ' + platform() } } };\n`,
    });
    const res = await runCli(['run', '1.0.0', '--no-history', '--local'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('RELEASE READY');
    expect(existsSync(join(dir, 'ran.marker'))).toBe(true);
  });

  it('loads a shipgate.config.ts through tsx', async () => {
    const dir = await project({
      'shipgate.config.ts': `interface Gate { run: string }\nconst marked: Gate = { run: ${JSON.stringify(MARK)} };\nexport default { gates: { marked } };\n`,
    });
    const res = await runCli(['validate'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/valid \(1 gates?,/);
  });

  it('refuses a module that throws while it loads, or whose top-level await rejects, and runs nothing', async () => {
    for (const body of [`throw new Error('cannot reach the vault');\n`, `await Promise.reject(new Error('cannot reach the vault'));\nexport default {};\n`]) {
      const dir = await project({ 'shipgate.config.mjs': body, 'shipgate.yml.unused': `gates: { marked: { run: ${JSON.stringify(MARK)} } }\n` });
      const res = await runCli(['run', '1.0.0', '--no-history', '--local'], { cwd: dir });
      expect(res.code, res.stderr).toBe(2);
      expect(res.stderr).toContain('cannot reach the vault');
      expect(res.stderr).toContain('[CONFIG_MODULE]');
      expect(res.stdout).not.toContain('RELEASE READY');
      expect(existsSync(join(dir, 'ran.marker'))).toBe(false);
    }
  });
});

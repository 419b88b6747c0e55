/**
 * How the CLI is entered: the bin the package names, the path earlier releases named, and what the
 * start-up shortcuts (src/cli/bin.ts, src/cli/load-bundle.ts, a config digest computed on first
 * use) must leave exactly as it was.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAscii } from 'node:buffer';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, REPO, cliEnv, makeProject, onlyRunDecision, removeProject, runCli } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeProject(d);
});

async function project(yml: string): Promise<string> {
  const dir = await makeProject({ 'shipgate.yml': yml });
  dirs.push(dir);
  return dir;
}

const YML = 'name: entry\ngates:\n  ok:\n    run: "true"\n';

describe('the CLI entry', () => {
  it('is the bin package.json names: executable, started by its own #! line', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
    const bin = join(REPO, pkg.bin.shipgate!);
    expect(bin).toBe(CLI);
    accessSync(bin, constants.X_OK);
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    // Run as an executable, the way npm's .bin link runs it: no `node` in front.
    expect(execFileSync(bin, ['--version'], { encoding: 'utf8', env: cliEnv() }).trim()).toBe(pkg.version);
  });

  it('still answers on dist/cli/main.js, the bin of earlier releases, with the same output and exit codes', async () => {
    const dir = await project(YML);
    const legacy = join(REPO, 'dist', 'cli', 'main.js');
    const now = await runCli(['validate'], { cwd: dir });
    const before = await runCli(['validate'], { cwd: dir, cli: legacy });
    expect(now.code).toBe(0);
    expect(before).toEqual(now);
    const bad = join(dir, 'bad.yml');
    await writeFile(bad, 'name: entry\ngates:\n  ok: { rn: "true" }\n');
    const badNow = await runCli(['validate', '-c', bad], { cwd: dir });
    expect(badNow.code).toBe(2);
    expect(await runCli(['validate', '-c', bad], { cwd: dir, cli: legacy })).toEqual(badNow);
  });

  it('ships a bundle of ASCII only, which the loader reads one byte a character', () => {
    expect(isAscii(readFileSync(join(REPO, 'dist', 'cli', 'shipgate.cjs')))).toBe(true);
  });
});

describe('the config digest a run records', () => {
  it('is the SHA-256 of the bytes the run read', async () => {
    const dir = await project(YML);
    const r = await runCli(['run', '1.0.0', '--no-history'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const { decision } = await onlyRunDecision(dir);
    expect(decision.configHash).toBe(createHash('sha256').update(readFileSync(join(dir, 'shipgate.yml'))).digest('hex'));
  });

  it('HOSTILE: is of the configuration judged, even when the file is rewritten while the run goes on', async () => {
    // The gate rewrites shipgate.yml; the digest is computed late (on first use), but of the
    // bytes that were read and judged, never of the file as it is by then.
    const yml = 'name: entry\ngates:\n  rewrite:\n    run: "printf \'name: other\\\\ngates: {}\\\\n\' > shipgate.yml"\n';
    const dir = await project(yml);
    const judged = createHash('sha256').update(yml).digest('hex');
    const r = await runCli(['run', '1.0.0', '--no-history'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'shipgate.yml'), 'utf8')).toBe('name: other\ngates: {}\n');
    const { decision } = await onlyRunDecision(dir);
    expect(decision.configHash).toBe(judged);
  });
});

describe('what start-up does not load', () => {
  /** The built-in modules the CLI loaded, as the process saw them when it exited. */
  async function loadedBy(args: string[], cwd: string): Promise<{ code: number; modules: string[] }> {
    const report = join(cwd, 'loaded.json');
    const hook = join(cwd, 'report-loaded.cjs');
    await writeFile(hook, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify(process.moduleLoadList)));\n`);
    let code = 0;
    try {
      execFileSync(process.execPath, ['--require', hook, CLI, ...args], { cwd, env: cliEnv(), stdio: 'ignore' });
    } catch (e) {
      code = (e as { status: number }).status;
    }
    const list = JSON.parse(readFileSync(report, 'utf8')) as string[];
    return { code, modules: list.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length)) };
  }

  it('validate, plan and history load neither node:crypto nor node:child_process; a run, which needs both, does', async () => {
    const dir = await project(YML);
    const run = await loadedBy(['run', '1.0.0', '--local'], dir);
    expect(run.code).toBe(0);
    expect(run.modules).toEqual(expect.arrayContaining(['crypto', 'child_process']));
    for (const cmd of ['validate', 'plan', 'history']) {
      const { code, modules } = await loadedBy([cmd], dir);
      expect({ cmd, code }).toEqual({ cmd, code: 0 });
      expect({ cmd, crypto: modules.includes('crypto'), childProcess: modules.includes('child_process') }).toEqual({ cmd, crypto: false, childProcess: false });
    }
  });
});

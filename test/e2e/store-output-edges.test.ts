/**
 * The edges of the store and of the files shipgate writes, through the real CLI: an install whose
 * SQLite binding is missing, a store file that is empty, a store URL with a password, and outputs
 * aimed at a symlink, a device, a FIFO or the kernel's file systems. Each must end with a clear
 * error and a stable code (never a stack trace, never a hang), and the honest neighbour must work.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { cp, lstat, mkdir, readFile, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, cliEnv, installCopy, makeProject, removeProject, replaceFile, runCli, type CliResult } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeProject(d);
});

async function project(extra: Record<string, string> = {}): Promise<string> {
  const dir = await makeProject({ 'shipgate.yml': 'name: edges\ngates:\n  ok:\n    run: "true"\n', ...extra });
  dirs.push(dir);
  return dir;
}

const noTrace = (r: CliResult) => expect(`${r.stderr}${r.stdout}`).not.toMatch(/\n\s+at .*:\d+:\d+/);

describe('an install without its SQLite binding (or without pg)', () => {
  /**
   * A copy of this build without the pg package, and better-sqlite3 broken as `addon` says: its
   * compiled addon missing (default), moved to build/Debug, the whole package missing, a Release
   * addon that is no ELF file (with or without a good Debug one), or its JavaScript marked to say
   * when it loads (at the version the CLI bundled, or another).
   */
  async function brokenInstall(
    addon: 'missing' | 'debug' | 'no-package' | 'broken-release' | 'broken-release-good-debug' | 'marked' | 'marked-other-version' = 'missing',
  ): Promise<string> {
    const root = await installCopy('shipgate-nobinding-', ['dist', 'package.json']);
    dirs.push(root);
    const build = join(root, 'node_modules', 'better-sqlite3', 'build');
    const release = join(build, 'Release', 'better_sqlite3.node');
    if (addon === 'debug') await rename(join(build, 'Release'), join(build, 'Debug'));
    else if (addon === 'no-package') await rm(join(root, 'node_modules', 'better-sqlite3'), { recursive: true, force: true });
    else if (addon === 'broken-release' || addon === 'broken-release-good-debug') {
      if (addon === 'broken-release-good-debug') await cp(join(build, 'Release'), join(build, 'Debug'), { recursive: true });
      await replaceFile(release, 'not an ELF file');
    } else if (addon === 'marked' || addon === 'marked-other-version') {
      // better-sqlite3's own JavaScript says when it is the one loaded.
      const pkgDir = join(root, 'node_modules', 'better-sqlite3');
      const index = await readFile(join(pkgDir, 'lib', 'index.js'), 'utf8');
      await replaceFile(join(pkgDir, 'lib', 'index.js'), `process.stderr.write('installed better-sqlite3 JavaScript loaded\\n');\n${index}`);
      if (addon === 'marked-other-version') {
        const pkg = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as { version: string };
        await replaceFile(join(pkgDir, 'package.json'), JSON.stringify({ ...pkg, version: '12.99.0' }));
      }
    } else await rm(build, { recursive: true, force: true });
    await rm(join(root, 'node_modules', 'pg'), { recursive: true, force: true });
    return join(root, 'dist', 'cli', 'main.cjs');
  }

  it('says to rebuild the binding (or run without history), and what needs no store still works: drivers load only when a store is opened', async () => {
    const cli = await brokenInstall();
    const dir = await project();
    const run = (args: string[], env: Record<string, string | undefined> = {}) => runCli(args, { cwd: dir, cli, env: { SHIPGATE_DATABASE_URL: undefined, ...env } });

    const history = await run(['history']);
    expect(history.code).toBe(2);
    expect(history.stderr).toContain('cannot load the SQLite driver (better-sqlite3): Could not locate the bindings file');
    expect(history.stderr).toContain('hint: its native binding is missing or built for another Node.js: run `npm rebuild better-sqlite3`, or run with --no-history');
    expect(history.stderr).toContain('[STORE_OPEN]');
    // Not the hint for a damaged file, which would send the user to delete their history.
    expect(history.stderr).not.toContain('remove a damaged one');
    noTrace(history);
    const ran = await run(['run', '1.0.0']);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('npm rebuild better-sqlite3');

    // A PostgreSQL store without pg: says so; its password is never printed.
    const pg = await run(['history'], { SHIPGATE_DATABASE_URL: 'postgres://deploy:pw-9f8e7d6c@127.0.0.1:1/x' });
    expect(pg.code).toBe(2);
    expect(pg.stderr).toContain('cannot load the PostgreSQL driver (pg)');
    expect(pg.stderr).not.toContain('pw-9f8e7d6c');
    noTrace(pg);

    // The honest neighbours: nothing that needs no store loads a driver.
    expect((await run(['validate'])).code).toBe(0);
    expect((await run(['plan'])).code).toBe(0);
    const offline = await run(['run', '1.0.0', '--no-history']);
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stdout).toContain('RESULT: RELEASE READY');
  });

  it('HOSTILE: an addon that cannot load, or no better-sqlite3 at all, is a driver problem, never a damaged store file', async () => {
    for (const mode of ['broken-release', 'no-package'] as const) {
      const cli = await brokenInstall(mode);
      const dir = await project();
      const history = await runCli(['history'], { cwd: dir, cli, env: { SHIPGATE_DATABASE_URL: undefined } });
      expect(history.code, mode).toBe(2);
      expect(history.stderr, mode).toContain('cannot load the SQLite driver (better-sqlite3)');
      expect(history.stderr, mode).toContain('npm rebuild better-sqlite3');
      expect(history.stderr, mode).toContain('[STORE_OPEN]');
      expect(history.stderr, mode).not.toContain('remove a damaged one');
      expect(history.stderr, mode).not.toContain('Require stack');
      noTrace(history);
    }
  });

  it('uses the JavaScript bundled with the CLI only beside the better-sqlite3 version it came from', async () => {
    for (const [mode, external] of [['marked', false], ['marked-other-version', true]] as const) {
      const cli = await brokenInstall(mode);
      const dir = await project();
      const run = (args: string[]) => runCli(args, { cwd: dir, cli, env: { SHIPGATE_DATABASE_URL: undefined } });
      const ran = await run(['run', '1.0.0']);
      expect(ran.code, ran.stderr).toBe(0);
      const history = await run(['history']);
      expect(history.code, history.stderr).toBe(0);
      expect(history.stdout).toContain('1.0.0');
      expect(history.stderr.includes('installed better-sqlite3 JavaScript loaded'), mode).toBe(external);
    }
  });

  it('takes a debug build over a broken Release one, as better-sqlite3 itself would', async () => {
    const cli = await brokenInstall('broken-release-good-debug');
    const dir = await project();
    const ran = await runCli(['run', '1.0.0'], { cwd: dir, cli, env: { SHIPGATE_DATABASE_URL: undefined } });
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain('RESULT: RELEASE READY');
  });

  it('finds an addon outside build/Release (a debug build) the way better-sqlite3 would, from its own folder', async () => {
    const cli = await brokenInstall('debug');
    const dir = await project();
    const run = (args: string[]) => runCli(args, { cwd: dir, cli, env: { SHIPGATE_DATABASE_URL: undefined } });
    const ran = await run(['run', '1.0.0']);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain('RESULT: RELEASE READY');
    const history = await run(['history']);
    expect(history.code, history.stderr).toBe(0);
    expect(history.stdout).toContain('1.0.0');
  });
});

describe('the store', () => {
  it('an empty store file (a bad cache restore) is refused with STORE_EMPTY, not taken as a new history; without it the run records', async () => {
    const dir = await project();
    await mkdir(join(dir, '.shipgate'), { recursive: true });
    await writeFile(join(dir, '.shipgate', 'shipgate.db'), '');
    for (const args of [['run', '1.0.0'], ['history'], ['quarantine', 'list']]) {
      const r = await runCli(args, { cwd: dir });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/the history store .*shipgate\.db exists but is empty \(0 bytes\) \[STORE_EMPTY\]/);
      expect(r.stderr, args.join(' ')).toContain('restore the real one');
      noTrace(r);
    }
    // Nothing ran, and the empty file is left for the user to look at.
    expect((await stat(join(dir, '.shipgate', 'shipgate.db'))).size).toBe(0);
    expect((await runCli(['run', '1.0.0', '--no-history'], { cwd: dir })).code).toBe(0);
    await rm(join(dir, '.shipgate', 'shipgate.db'));
    expect((await runCli(['run', '1.0.0'], { cwd: dir })).code).toBe(0);
    expect((await runCli(['history'], { cwd: dir })).stdout).toContain('READY');
  });

  it('a store URL whose server is down: STORE_OPEN naming it without its password, in the user part or the query', async () => {
    const dir = await project();
    for (const url of ['postgres://deploy:pw-1a2b3c4d@127.0.0.1:1/x', 'postgres://deploy@127.0.0.1:1/x?password=pw-1a2b3c4d&sslmode=disable']) {
      const r = await runCli(['run', '1.0.0'], { cwd: dir, env: { SHIPGATE_DATABASE_URL: url } });
      expect(r.code, url).toBe(2);
      expect(r.stderr, url).toContain('[STORE_OPEN]');
      expect(r.stderr, url).toContain('127.0.0.1:1');
      expect(r.stderr, url).not.toContain('pw-1a2b3c4d');
      noTrace(r);
    }
  });
});

describe('outputs go where they were asked, or fail fast', () => {
  it('a symlink to a regular file is written through: the link stays, the file it names gets the report', async () => {
    const dir = await project();
    await writeFile(join(dir, 'real.xml'), 'old');
    await symlink('real.xml', join(dir, 'link.xml'));
    const r = await runCli(['run', '1.0.0', '--no-history', '--report', 'junit=link.xml'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect((await lstat(join(dir, 'link.xml'))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(dir, 'link.xml'))).toBe('real.xml');
    expect(await readFile(join(dir, 'real.xml'), 'utf8')).toContain('<testsuites');
  });

  it('a path under /proc, a device or a FIFO is refused within seconds: the decision is printed and the exit code says the output failed', async () => {
    const dir = await project();
    execFileSync('mkfifo', [join(dir, 'pipe.md')]);
    await symlink('/dev/null', join(dir, 'null.md'));
    const cases: [string[], RegExp][] = [
      [['run', '1.0.0', '--no-history', '--report', 'json=/proc/self/shipgate.json'], /kernel file system/],
      [['run', '1.0.0', '--no-history', '--report', 'markdown=pipe.md'], /is a FIFO; it is not replaced/],
      [['run', '1.0.0', '--no-history', '--report', 'markdown=null.md'], /symlink to a device/],
    ];
    for (const [args, why] of cases) {
      // runCli's own timeout would fail the test on a hang: a FIFO opened for writing blocks forever.
      const r = await runCli(args, { cwd: dir, timeoutMs: 30_000 });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(why);
      expect(r.stderr, args.join(' ')).toContain('[OUTPUT_UNWRITABLE]');
      // The decision was printed before the failure was said.
      expect(r.stdout, args.join(' ')).toContain('RESULT: RELEASE READY');
      noTrace(r);
    }
    expect((await stat(join(dir, 'pipe.md'))).isFIFO()).toBe(true);
    expect((await stat('/dev/null')).isCharacterDevice()).toBe(true);

    // The same rules for `notes --out` and `baseline export --out`.
    expect((await runCli(['run', '1.0.0'], { cwd: dir })).code).toBe(0);
    for (const args of [
      ['notes', '--out', 'pipe.md'],
      ['notes', '--out', '/proc/self/notes.md'],
      ['baseline', 'export', '--out', 'null.md'],
      ['history', 'export', '--out', 'pipe.md'],
    ]) {
      const r = await runCli(args, { cwd: dir, timeoutMs: 30_000 });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain('[OUTPUT_UNWRITABLE]');
      noTrace(r);
    }
    // The honest neighbour: a plain path is written.
    expect((await runCli(['notes', '--out', 'notes.md'], { cwd: dir })).code).toBe(0);
    expect(await readFile(join(dir, 'notes.md'), 'utf8')).toContain('1.0.0');
  });

  it('a folder that is a symlink into /proc is refused within seconds too, for a report and for the run folder itself', async () => {
    const dir = await project();
    await symlink('/proc/self/fd', join(dir, 'fds'));
    // A report under it: a recursive mkdir there would never end.
    const report = await runCli(['run', '1.0.0', '--no-history', '--report', 'json=fds/out/shipgate.json'], { cwd: dir, timeoutMs: 30_000 });
    expect(report.code, report.stderr).toBe(2);
    expect(report.stderr).toMatch(/kernel file system.*\[OUTPUT_UNWRITABLE\]/);
    expect(report.stdout).toContain('RESULT: RELEASE READY');
    noTrace(report);
    // A configuration reached through it: the project folder, and so the run folder, is there.
    await writeFile(join(dir, 'elsewhere.yml'), 'gates:\n  build:\n    run: "true"\n');
    const fd = openSync(join(dir, 'elsewhere.yml'), 'r');
    try {
      const viaLink = spawnSync(process.execPath, [CLI, 'run', '1.0.0', '--no-history', '-c', join(dir, 'fds', '3')], {
        cwd: dir,
        env: cliEnv(),
        stdio: ['ignore', 'pipe', 'pipe', fd],
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(viaLink.status, viaLink.stderr).toBe(2);
      expect(viaLink.stderr).toMatch(/the run folder .* is on a kernel file system.*\[OUTPUT_UNWRITABLE\]/);
      expect(viaLink.stderr).not.toMatch(/internal error|\n\s+at /);
    } finally {
      closeSync(fd);
    }
  });
});


/**
 * Hostile values and hostile text, through the real CLI. A branch name (attacker-controlled in a
 * pull request) or a version never runs as code — not in `sh -c '…'`, `sh -c "…"`, `eval`,
 * `ssh host …` or a heredoc fed to a shell; a bad VERSION is refused before anything runs; and
 * nothing a gate prints or writes into a report can clear the screen or draw a fake
 * `RESULT: RELEASE READY`. Each attack has its honest neighbour that must still work.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, gate, makeProject, parseDecision, q, removeProject, runCli } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeProject));
});

function git(dir: string, ...args: string[]): void {
  execFileSync('git', args, {
    cwd: dir,
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' },
  });
}

/** A git project checked out on `branch`, with a fake `ssh` that runs its remote command in a shell, as ssh does. */
async function onBranch(branch: string, yml: string): Promise<string> {
  const dir = await makeProject({
    '.gitignore': '.shipgate/\nout/\npwned*\n',
    'shipgate.yml': yml,
    // `ssh host CMD…` joins CMD… with spaces and hands it to the remote shell: the classic second parse.
    'bin/ssh': '#!/bin/sh\nshift\nexec /bin/sh -c "$*"\n',
  });
  dirs.push(dir);
  await chmod(join(dir, 'bin', 'ssh'), 0o755);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'init');
  git(dir, 'checkout', '-q', '-b', branch);
  return dir;
}

const contexts: Record<string, string> = {
  plain: 'mkdir -p out && echo ${git.branch} > out/plain',
  'single-quoted sh -c': `mkdir -p out && sh -c 'echo \${git.branch} > out/single'`,
  'double-quoted sh -c': 'mkdir -p out && sh -c "echo ${git.branch} > out/double"',
  eval: 'mkdir -p out && eval "echo ${git.branch} > out/eval"',
  ssh: 'mkdir -p out && PATH="$PWD/bin:$PATH" ssh deploy-host echo ${git.branch} \\> out/ssh',
  heredoc: 'mkdir -p out && sh <<EOF\necho ${git.branch} > out/heredoc\nEOF',
};
const contextConfig = `gates:\n${Object.entries(contexts)
  .map(([name, cmd]) => `  ${name.replace(/[^a-z]+/g, '-')}:\n    run: ${q(cmd)}\n`)
  .join('')}`;

describe('values are data in every context', () => {
  it.each(['x;touch${IFS}pwned', '$(touch${IFS}pwned-sub)', '`touch${IFS}pwned-tick`', "a'b\"c;touch${IFS}pwned-quote", 'a|touch${IFS}pwned-pipe'])(
    'a branch named %s runs in no context: every gate that uses it fails VALUE_UNSAFE, nothing is touched',
    async (branch) => {
      const dir = await onBranch(branch, contextConfig);
      const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir });
      expect(res.code).toBe(1);
      const d = parseDecision(res.stdout);
      for (const g of d.gates) {
        expect(g.status, g.id).toBe('fail');
        expect(g.checks[0]!.actual, g.id).toMatch(/^\$\{git\.branch\} holds .*, which a shell could read as code; it is not put into the command$/);
      }
      const touched = execFileSync('sh', ['-c', 'ls pwned* 2>/dev/null || true'], { cwd: dir, encoding: 'utf8' });
      expect(touched).toBe('');
      // Nothing of the command ran at all.
      expect(existsSync(join(dir, 'out'))).toBe(false);
    },
  );

  it.each([
    ['${version}', 'a version', (v: string) => ({ args: [v], env: {} })],
    ['${env.RELEASE_NAME}', 'a variable', (v: string) => ({ args: ['1.0.0'], env: { RELEASE_NAME: v } })],
  ] as const)('%s that carries code runs in no context either (%s)', async (placeholder, _what, given) => {
    const yml = contextConfig.replaceAll('${git.branch}', placeholder);
    const dir = await onBranch('main-2', yml);
    const { args, env } = given('x;touch${IFS}pwned');
    const res = await runCli(['run', ...args, '--no-history', '--json'], { cwd: dir, env });
    expect(res.code).toBe(1);
    for (const g of parseDecision(res.stdout).gates) {
      expect(g.status, g.id).toBe('fail');
      expect(g.checks[0]!.actual, g.id).toContain('which a shell could read as code; it is not put into the command');
    }
    expect(execFileSync('sh', ['-c', 'ls pwned* 2>/dev/null || true'], { cwd: dir, encoding: 'utf8' })).toBe('');
    expect(existsSync(join(dir, 'out'))).toBe(false);
    // The honest neighbour: an ordinary value reaches every context as itself.
    const fine = given('2.4.1-rc.1');
    const ok = await runCli(['run', ...fine.args, '--no-history', '--json'], { cwd: dir, env: fine.env });
    expect(ok.code, ok.stderr).toBe(0);
    for (const name of ['plain', 'single', 'double', 'eval', 'ssh', 'heredoc']) expect(await readFile(join(dir, 'out', name), 'utf8'), name).toBe('2.4.1-rc.1\n');
  });

  it('honest: an ordinary branch name reaches every context as the value it is', async () => {
    const dir = await onBranch('feature/login-page', contextConfig);
    const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    for (const name of ['plain', 'single', 'double', 'eval', 'ssh', 'heredoc']) {
      expect(await readFile(join(dir, 'out', name), 'utf8'), name).toBe('feature/login-page\n');
    }
  });

  it('a script that needs an arbitrary value reads it from the environment, as data', async () => {
    const dir = await onBranch('x;touch${IFS}pwned', `gates:\n  env:\n    run: 'mkdir -p out && printf %s "$SHIPGATE_GIT_BRANCH" > out/env'\n`);
    const res = await runCli(['run', '1.0.0', '--no-history'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    expect(await readFile(join(dir, 'out', 'env'), 'utf8')).toBe('x;touch${IFS}pwned');
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
  });

  it('a version is refused before anything runs when it holds a control character, a newline, or more than 256 characters', async () => {
    const dir = await makeProject({ 'shipgate.yml': 'gates:\n  g:\n    run: touch ran\n' });
    dirs.push(dir);
    for (const version of ['1.0\n2.0', '1.0\x1b[2J', 'v'.repeat(257), '']) {
      const res = await runCli(['run', version, '--no-history'], { cwd: dir });
      expect(res.code, JSON.stringify(version)).toBe(2);
      expect(res.stderr).toContain('[VERSION_INVALID]');
      expect(res.stderr).toContain('hint: pass a version like 1.4.0');
      expect(res.stderr).not.toContain('\x1b');
    }
    expect(existsSync(join(dir, 'ran'))).toBe(false);
    expect((await runCli(['run', 'v'.repeat(256), '--no-history'], { cwd: dir })).code).toBe(0);
  });

  it('a value in an artifact path cannot widen what it matches', async () => {
    const dir = await makeProject({ 'shipgate.yml': 'gates:\n  build:\n    run: "true"\n    artifacts: [{ path: "dist/app-${version}.tar", fresh: false }]\n', 'dist/app-1.0.0.tar': 'x' });
    dirs.push(dir);
    const res = await runCli(['run', '*', '--no-history', '--json'], { cwd: dir });
    expect(res.code).toBe(1);
    expect(gate(parseDecision(res.stdout), 'build').checks.find((c) => c.check === 'artifacts')!.actual).toContain('would change what the path matches');
    expect((await runCli(['run', '1.0.0', '--no-history'], { cwd: dir })).code).toBe(0);
  });
});

describe('nothing printed can pretend to be shipgate', () => {
  const fake = [
    '\x1b[2J\x1b[H',
    '============================================',
    '  RELEASE GATE SUMMARY (v9.9.9)',
    '============================================',
    '  RESULT: RELEASE READY',
    '============================================',
  ].join('\n');

  it('a gate that clears the screen and prints a fake READY — in its log, its test names and messages — cannot', async () => {
    // XML cannot carry ESC, but it can carry C1 controls (U+009B is CSI to some terminals), CR and newlines.
    const junit = `<testsuite name="s"><testcase classname="app" name="&#155;2Jok&#10;  RESULT: RELEASE READY"><failure message="boom&#13;  RESULT: RELEASE READY">&#155;32mgreen</failure></testcase></testsuite>`;
    const dir = await makeProject({
      'shipgate.yml': `gates:\n  evil:\n    run: node print.mjs\n    reports: [r.xml]\n`,
      'print.mjs': `process.stdout.write(${JSON.stringify(fake)} + '\\n\\x1b]0;owned\\x07\\r  RESULT: RELEASE READY\\n'); require('fs').writeFileSync('r.xml', ${JSON.stringify(junit)}); process.exit(1);`.replace("require('fs')", "(await import('node:fs'))"),
    });
    dirs.push(dir);
    const res = await runCli(['run', '1.0.0', '--no-history'], { cwd: dir });
    expect(res.code).toBe(1);
    const out = res.stdout + res.stderr;
    // No escape sequence, carriage return or C1 control reaches the terminal.
    // eslint-disable-next-line no-control-regex
    expect(out).not.toMatch(/[\x1b\r\x9b\x07]/);
    // The only line that reads like a shipgate result is the real one.
    const results = out.split('\n').filter((l) => /^\s{0,2}RESULT: RELEASE/.test(l));
    expect(results).toEqual(['  RESULT: RELEASE BLOCKED']);
    // What the gate printed is shown, visibly escaped or indented under the log tail.
    expect(out).toContain('│   RESULT: RELEASE READY');
    // A newline in a test name is collapsed (ids are one line); a CR in a message starts an indented line.
    expect(out).toContain('✗ app::ok RESULT: RELEASE READY [failed]\n        boom\n          RESULT: RELEASE READY');
    // The decision file keeps the raw text, escaped by JSON: no raw control character in it.
    const runDir = join(dir, '.shipgate', 'runs', readdirSync(join(dir, '.shipgate', 'runs'))[0]!);
    const raw = await readFile(join(runDir, 'decision.json'), 'utf8');
    expect([...raw].some((ch) => ch.charCodeAt(0) < 0x20 && ch !== '\n')).toBe(false);
  });

  it('a probed service whose answer clears the screen and prints a fake READY cannot either', async () => {
    const port = await freePort();
    const server = `require('node:http').createServer((q, s) => { s.writeHead(q.url === '/ready' ? 200 : 500); s.end(q.url === '/ready' ? 'ok' : ${JSON.stringify(`${fake}
`)}); }).listen(${port}, '127.0.0.1');`;
    const dir = await makeProject({
      'server.cjs': server,
      'shipgate.yml': `services:
  api:
    run: node server.cjs
    port: ${port}
    ready: { http: "http://127.0.0.1:${port}/ready", timeout: 20s }
gates:
  smoke:
    services: [api]
    probes: [{ get: "http://127.0.0.1:${port}/health", status: 200 }]
`,
    });
    dirs.push(dir);
    const res = await runCli(['run', '1.0.0', '--no-history'], { cwd: dir });
    expect(res.code).toBe(1);
    const out = res.stdout + res.stderr;
    // eslint-disable-next-line no-control-regex
    expect(out).not.toMatch(/[\x1b\r\x9b\x07]/);
    expect(out.split('\n').filter((l) => /^\s{0,2}RESULT: RELEASE/.test(l))).toEqual(['  RESULT: RELEASE BLOCKED']);
    // The body is shown, as text.
    expect(out).toMatch(/body: ".*RESULT: RELEASE READY/);
  });
});

describe('a gate that floods its log', () => {
  it('is cut at defaults.log-max (gate and service alike), with the marker, and still finishes', async () => {
    const dir = await makeProject({
      'shipgate.yml': `defaults: { log-max: 4KiB }
services:
  chatty:
    run: "head -c 200000 /dev/zero | tr '\\\\0' s; exec sleep 30"
gates:
  flood:
    services: [chatty]
    run: "head -c 200000 /dev/zero | tr '\\\\0' g"
`,
    });
    dirs.push(dir);
    const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    const runDir = parseDecision(res.stdout).runDir;
    for (const [file, ch] of [['gate-flood.log', 'g'], ['service-chatty.log', 's']] as const) {
      const text = await readFile(join(runDir, file), 'utf8');
      expect(text, file).toContain('log cut here at 4.1 KB (log-max)');
      // Kept: at most the cap (plus the header and marker lines), not the 200 KB written.
      expect(text.split(ch).length - 1, file).toBeLessThanOrEqual(4096);
      expect(text.length, file).toBeLessThan(8192);
    }
  });
});

/**
 * Store and disk faults never lose the decision, through the real CLI against the real PostgreSQL
 * (behind a TCP proxy the test controls) and real small or read-only file systems: whatever breaks
 * and whenever, the run finishes, the summary is printed, and the result says what happened —
 * BLOCKED "could not be recorded", with the reason; never a crash, never exit 3.
 */
import { execFileSync } from 'node:child_process';

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, stdio: 'ignore' });
const commitAll = (cwd: string) => {
  git(cwd, 'add', '-A');
  git(cwd, '-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'c');
};
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PG_URL } from '../fixtures/store/helpers.js';
import { TcpProxy } from '../fixtures/store/tcp-proxy.js';
import { makeProject, onlyRunDecision, parseDecision, removeProject, runCli, startCli, waitForFile } from './helpers.js';

const dirs: string[] = [];
const schemas: string[] = [];
let proxy: TcpProxy;
const pgTarget = new URL(PG_URL);

beforeAll(async () => {
  proxy = new TcpProxy(pgTarget.hostname, Number(pgTarget.port || 5432));
  await proxy.start();
});
afterEach(() => {
  proxy.refuse(false);
});
afterAll(async () => {
  await proxy.stop();
  for (const d of dirs) await removeProject(d);
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  for (const s of schemas) await c.query(`drop schema if exists ${s} cascade`);
  await c.end();
});

/** A store URL that goes through the proxy, in a fresh schema. */
function viaProxy(): string {
  const schema = `shipgate_fault_${Math.random().toString(36).slice(2, 10)}`;
  schemas.push(schema);
  const u = new URL(PG_URL);
  u.port = String(proxy.port);
  u.searchParams.set('schema', schema);
  return u.toString();
}

const waitingGate = (marker: string) => `name: faults
gates:
  unit:
    run: ${JSON.stringify(`touch ${marker} && sleep 1`)}
`;

async function project(yml: string): Promise<string> {
  const dir = await makeProject({ 'shipgate.yml': yml });
  dirs.push(dir);
  return dir;
}

function expectRecordedFailure(res: { code: number | null; stdout: string; stderr: string }): void {
  expect(res.code).toBe(1);
  expect(res.stderr).not.toContain('internal error');
  expect(res.stderr).toContain('RESULT: RELEASE BLOCKED');
  const d = parseDecision(res.stdout);
  expect(d.result).toBe('BLOCKED');
  expect(d.blockers.join('\n')).toMatch(/the run could not be recorded in history: .*\[STORE_/);
}

describe('PostgreSQL dropping the connection', () => {
  it('honest: through the proxy, untouched, the run is READY and recorded', async () => {
    const dir = await project(waitingGate('m'));
    const res = await runCli(['run', '1.0.0', '--json'], { cwd: dir, env: { SHIPGATE_DATABASE_URL: viaProxy() } });
    expect(res.code, res.stderr).toBe(0);
  });

  it('while idle, during a gate, and staying down: BLOCKED "could not be recorded", summary and decision.json still there', async () => {
    const dir = await project(waitingGate(join('/tmp', `marker-${process.pid}-idle`)));
    const marker = join('/tmp', `marker-${process.pid}-idle`);
    await rm(marker, { force: true });
    const cli = startCli(['run', '1.0.0', '--json'], { cwd: dir, env: { SHIPGATE_DATABASE_URL: viaProxy() } });
    await waitForFile(marker);
    proxy.refuse(true);
    proxy.cutAll();
    const res = await cli.done;
    expectRecordedFailure(res);
    expect((await onlyRunDecision(dir)).decision.result).toBe('BLOCKED');
  });

  it('mid-query at the start of the run: the gates still run, and the run is BLOCKED for not being recorded', async () => {
    const dir = await project(waitingGate('started'));
    const cut = proxy.cutOn('insert into "runs"');
    const res = await runCli(['run', '1.0.0', '--json'], { cwd: dir, env: { SHIPGATE_DATABASE_URL: viaProxy() } });
    await cut;
    expectRecordedFailure(res);
    expect(existsSync(join(dir, 'started'))).toBe(true);
  });

  it('mid-transaction while recording the run', async () => {
    const dir = await project(waitingGate('started'));
    const cut = proxy.cutOn('insert into "gate_results"');
    const res = await runCli(['run', '1.0.0', '--json'], { cwd: dir, env: { SHIPGATE_DATABASE_URL: viaProxy() } });
    await cut;
    expectRecordedFailure(res);
  });
});

describe('the run folder on a broken disk', () => {
  let mounts: string[] = [];
  afterEach(() => {
    for (const m of mounts) execFileSync('umount', ['-l', m]);
    mounts = [];
  });

  async function smallFs(opts: string): Promise<string> {
    const at = await mkdtemp(join(tmpdir(), 'shipgate-fs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', at]);
    mounts.push(at);
    return at;
  }

  it('read-only: the run does not start (exit 2, OUTPUT_UNWRITABLE naming the folder and "read-only"), no gate ran', async () => {
    const fs = await smallFs('size=1m,ro');
    const dir = await project('gates:\n  g:\n    run: "touch ran"\n');
    await mkdir(join(dir, '.shipgate'));
    await symlink(fs, join(dir, '.shipgate', 'runs'));
    const res = await runCli(['run', '1.0.0', '--no-history'], { cwd: dir });
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).not.toContain('internal error');
    expect(res.stderr).toMatch(/cannot create the run folder .*\.shipgate\/runs\/.*: the file system is read-only/);
    expect(res.stderr).toContain('OUTPUT_UNWRITABLE');
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });

  it('full: the gate that cannot keep its log fails, decision.json that cannot be saved is a reason, the summary is printed, exit 1', async () => {
    const fs = await smallFs('size=64k');
    // Fill it to the last block: neither a gate log nor decision.json has room.
    await writeFile(join(fs, 'filler'), Buffer.alloc(256 * 1024)).catch(() => undefined);
    const dir = await project('gates:\n  g:\n    run: "echo hello"\n');
    await mkdir(join(dir, '.shipgate'));
    await symlink(fs, join(dir, '.shipgate', 'runs'));
    const res = await runCli(['run', '1.0.0', '--no-history'], { cwd: dir });
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).not.toContain('internal error');
    expect(res.stdout).toContain('RESULT: RELEASE BLOCKED');
    expect(res.stdout).toMatch(/g: cannot write the log file .*gate-g\.log/);
    expect(res.stdout).toMatch(/the decision could not be saved in the run folder: cannot write .*decision\.json: the disk is full \[OUTPUT_UNWRITABLE\]/);
  });

  it('the SQLite store\'s disk filled by a gate mid-run: BLOCKED "could not be recorded: database or disk is full", the gate\'s PASS still shown', async () => {
    const fs = await smallFs('size=2m');
    const runs = await mkdtemp(join(tmpdir(), 'shipgate-runs-'));
    dirs.push(runs);
    const dir = await project('gates:\n  g:\n    run: "true"\n');
    git(dir, 'init', '-q', '.');
    await symlink(fs, join(dir, '.shipgate'));
    await symlink(runs, join(fs, 'runs'));
    commitAll(dir);
    const first = await runCli(['run', '1.0.0'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    // The shipgate folder is a symlink: still shipgate's own, never an uncommitted change.
    expect(first.stdout).not.toContain('UNCOMMITTED');
    await writeFile(join(dir, 'shipgate.yml'), `gates:\n  g:\n    run: ${JSON.stringify(`head -c 4000000 /dev/zero > ${join(fs, 'filler')} 2>/dev/null; true`)}\n`);
    commitAll(dir);
    const res = await runCli(['run', '1.0.1'], { cwd: dir });
    expect(res.code, res.stderr).toBe(1);
    expect(res.stdout).toMatch(/g +: PASS/);
    expect(res.stdout).toMatch(/the run could not be recorded in history: recording run \S+ failed: database or disk is full \[STORE_WRITE\]/);
    expect(res.stdout).not.toContain('no transaction is active');
  });
});

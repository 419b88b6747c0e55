/**
 * Processes through the real CLI: timeouts and SIGINT take down whole trees (TERM-ignoring and
 * setsid-escaped grandchildren included), a dying service fails the gate that needs it, and a port
 * squatter never stands in for a service. Fixture scripts record their pids; after the CLI exits
 * every recorded pid must be gone.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  freePort,
  gate,
  killLeftovers,
  makeProject,
  nodeCmd,
  onlyRunDecision,
  parseDecision,
  q,
  recordedPids,
  removeProject,
  runCli,
  startCli,
  survivors,
  waitForFile,
} from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeProject));
});

/** Anything a failed test left running is killed, so one failure does not cascade. */
let current: string | undefined;
afterEach(async () => {
  if (current && existsSync(current)) killLeftovers(await recordedPids(current));
  current = undefined;
});

/** A project whose config is written once its directory (and so absolute paths in it) is known. */
async function project(yml: (dir: string) => string): Promise<string> {
  const dir = await makeProject({});
  dirs.push(dir);
  current = dir;
  await writeFile(join(dir, 'shipgate.yml'), yml(dir));
  return dir;
}

describe('timeouts', () => {
  it('a timed-out gate has its whole tree killed, TERM-ignoring and setsid grandchildren included', async () => {
    const dir = await project(
      () => `gates:
  slow:
    run: ${q(nodeCmd('tree.mjs', '.', 'slow', '--escape'))}
    timeout: 3s
  after:
    run: touch after.ran
    needs: [slow]
`,
    );
    const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir, timeoutMs: 40_000 });
    expect(res.code, res.stderr).toBe(1);
    expect(existsSync(join(dir, 'slow.started')), 'the tree never came up; nothing was tested').toBe(true);
    const pids = await recordedPids(dir);
    expect(Object.keys(pids).sort()).toEqual(['slow-escaped.pid', 'slow-grandchild.pid', 'slow-parent.pid']);
    expect(await survivors(pids)).toEqual({});
    const d = parseDecision(res.stdout);
    expect(gate(d, 'slow').status).toBe('fail');
    expect(gate(d, 'slow').reason).toMatch(/timed out after 3 ?s/);
    expect(gate(d, 'after').status).toBe('not-run');
    expect(existsSync(join(dir, 'after.ran'))).toBe(false);
  });
});

describe('SIGINT mid-run', () => {
  it('stops services and gate trees, leaves no process, records the interruption, exits 130', async () => {
    const port = await freePort();
    const dir = await project(
      (d) => `services:
  api:
    run: ${q(nodeCmd('service.mjs'))}
    env: { PORT: "${port}", PIDFILE: ${q(join(d, 'api.pid'))}, CHILD_PID: ${q(join(d, 'api-child.pid'))} }
    ready: { http: "http://127.0.0.1:${port}/health", timeout: 20s, interval: 100ms }
gates:
  long:
    services: [api]
    run: ${q(nodeCmd('tree.mjs', '.', 'long'))}
    timeout: 5m
  later:
    run: touch later.ran
    needs: [long]
`,
    );
    const cli = startCli(['run', '1.0.0', '--no-history'], { cwd: dir, timeoutMs: 60_000 });
    await waitForFile(join(dir, 'long.started'));
    await waitForFile(join(dir, 'api-child.pid'));
    cli.child.kill('SIGINT');
    const res = await cli.done;

    expect(res.code, res.stderr).toBe(130);
    expect(res.stderr).toContain('SIGINT received');
    const pids = await recordedPids(dir);
    expect(Object.keys(pids).sort()).toEqual(['api-child.pid', 'api.pid', 'long-grandchild.pid', 'long-parent.pid']);
    expect(await survivors(pids)).toEqual({});
    expect(existsSync(join(dir, 'later.ran'))).toBe(false);

    const { decision } = await onlyRunDecision(dir);
    expect(decision.interrupted).toBe(true);
    expect(decision.result).toBe('BLOCKED');
    expect(gate(decision, 'long').status).toBe('cancelled');
    expect(gate(decision, 'later').status).toBe('not-run');
    expect(res.stdout).toContain('(interrupted)');
    // The port is free again: the service is really gone.
    const again = createServer();
    await new Promise<void>((resolve, reject) => again.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
    await new Promise((r) => again.close(r));
  });
});

describe('services', () => {
  it('a service that dies while a gate needs it fails that gate, with the service log tail', async () => {
    const port = await freePort();
    const dir = await project(
      (d) => `services:
  store:
    run: ${q(nodeCmd('service.mjs'))}
    env: { PORT: "${port}", PIDFILE: ${q(join(d, 'store.pid'))}, DIE_ON: ${q(join(d, 'die.now'))} }
    ready: { http: "http://127.0.0.1:${port}/health", timeout: 20s, interval: 100ms }
gates:
  e2e:
    services: [store]
    run: echo gate-running; touch die.now; exec sleep 60
    timeout: 2m
`,
    );
    const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir, timeoutMs: 60_000 });
    expect(res.code, res.stderr).toBe(1);
    const g = gate(parseDecision(res.stdout), 'e2e');
    expect(g.status).toBe('fail');
    expect(g.reason).toMatch(/service store died/);
    expect(g.logTail?.join('\n')).toContain('fatal: lost connection to the item store');
    expect(res.stderr).toContain('fatal: lost connection to the item store');
    expect(await survivors(await recordedPids(dir))).toEqual({});
  });

  it('a service that exits before it is ready fails the gate with its log; the gate command never runs', async () => {
    const port = await freePort();
    const dir = await project(
      () => `services:
  api:
    run: ${q('echo "boot: missing DATABASE_URL" >&2; exit 5')}
    ready: { http: "http://127.0.0.1:${port}/health", timeout: 20s, interval: 100ms }
gates:
  e2e:
    services: [api]
    run: touch e2e.ran
`,
    );
    const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(1);
    const g = gate(parseDecision(res.stdout), 'e2e');
    expect(g.status).toBe('fail');
    expect(g.reason).toContain('exited with code 5 before it was ready');
    expect(res.stderr).toContain('boot: missing DATABASE_URL');
    expect(existsSync(join(dir, 'e2e.ran'))).toBe(false);
  });

  it('a service that never becomes ready times out, is stopped, and fails the gate', async () => {
    const port = await freePort();
    const dir = await project(
      (d) => `services:
  api:
    run: ${q(nodeCmd('stubborn.mjs', join(d, 'api.pid')))}
    ready: { http: "http://127.0.0.1:${port}/health", timeout: 1s, interval: 100ms }
gates:
  e2e:
    services: [api]
    run: touch e2e.ran
`,
    );
    const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir, timeoutMs: 40_000 });
    expect(res.code, res.stderr).toBe(1);
    const g = gate(parseDecision(res.stdout), 'e2e');
    expect(g.status).toBe('fail');
    expect(g.reason).toMatch(/service api/);
    expect(existsSync(join(dir, 'e2e.ran'))).toBe(false);
    const pids = await recordedPids(dir);
    expect(Object.keys(pids)).toEqual(['api.pid']);
    expect(await survivors(pids)).toEqual({});
  });

  describe('a port squatter', () => {
    let squatter: Server | undefined;
    afterEach(async () => {
      await new Promise((r) => (squatter ? squatter.close(r) : r(undefined)));
      squatter = undefined;
    });

    it('fails the gate, names the holder, and the service command never runs', async () => {
      // The squatter answers 200 to everything: if readiness trusted the port, the gate would pass.
      squatter = createServer((sock) => {
        sock.on('error', () => {});
        sock.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok');
      });
      const port = await new Promise<number>((resolve) =>
        squatter!.listen(0, '127.0.0.1', () => resolve((squatter!.address() as { port: number }).port)),
      );
      const dir = await project(
        (d) => `services:
  api:
    run: ${q(nodeCmd('service.mjs'))}
    env: { PORT: "${port}", MARKER: ${q(join(d, 'api.started'))} }
    ready: { http: "http://127.0.0.1:${port}/health", timeout: 5s, interval: 100ms }
gates:
  e2e:
    services: [api]
    run: touch e2e.ran
    probes:
      - { get: "http://127.0.0.1:${port}/health", status: 200 }
`,
      );
      const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir });
      expect(res.code, res.stderr).toBe(1);
      const g = gate(parseDecision(res.stdout), 'e2e');
      expect(g.status).toBe('fail');
      expect(g.reason).toContain(`port ${port}`);
      expect(g.reason).toContain(`pid ${process.pid}`);
      expect(res.stderr).toContain('already in use');
      expect(existsSync(join(dir, 'api.started')), 'the service command ran despite the squatter').toBe(false);
      expect(existsSync(join(dir, 'e2e.ran'))).toBe(false);
    });
  });

  it('a service shared by two gates starts once and is stopped after the run', async () => {
    const port = await freePort();
    const dir = await project(
      (d) => `services:
  api:
    run: ${q(nodeCmd('service.mjs'))}
    env: { PORT: "${port}", PIDFILE: ${q(join(d, 'api.pid'))}, CHILD_PID: ${q(join(d, 'api-child.pid'))} }
    ready: { http: "http://127.0.0.1:${port}/health", timeout: 20s, interval: 100ms }
gates:
  one:
    services: [api]
    run: cat api.pid >> seen.txt; echo >> seen.txt
    probes:
      - { get: "http://127.0.0.1:${port}/", body-contains: hello }
  two:
    services: [api]
    needs: [one]
    run: cat api.pid >> seen.txt; echo >> seen.txt
`,
    );
    const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir, timeoutMs: 40_000 });
    expect(res.code, res.stderr).toBe(0);
    const seen = (await readFile(join(dir, 'seen.txt'), 'utf8')).split('\n').filter(Boolean);
    expect(seen).toHaveLength(2);
    expect(seen[0], 'the service was started twice').toBe(seen[1]);
    const pids = await recordedPids(dir);
    expect(await survivors(pids)).toEqual({});
    const { runDir } = await onlyRunDecision(dir);
    expect(await readFile(join(runDir, 'service-api.log'), 'utf8')).toContain(`service: listening on ${port}`);
  });
});

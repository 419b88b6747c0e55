/**
 * Containment when shipgate itself is stopped: a SIGKILL (a CI runner's cancel, `timeout -s KILL`)
 * leaves nothing of the run behind — its watchdog sweeps it — and a second SIGINT stops everything
 * at once yet still writes the interrupted decision.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort, gate, makeProject, nodeCmd, onlyRunDecision, q, recordedPids, removeProject, startCli, survivors, waitForFile } from './helpers.js';
import { ask, cgroupOf, eventually, isRunning, killMarked, newMark, processesOfRun, processesWith, runTokenOf, watchdogsOf } from './containment-helpers.js';

const dirs: string[] = [];
const marks: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeProject));
});
afterEach(() => {
  for (const m of marks.splice(0)) killMarked(m);
});

async function project(yml: (dir: string, mark: string) => string): Promise<{ dir: string; mark: string }> {
  const dir = await makeProject({});
  const mark = newMark();
  dirs.push(dir);
  marks.push(mark);
  await writeFile(join(dir, 'shipgate.yml'), yml(dir, mark));
  return { dir, mark };
}

const pidIn = async (file: string): Promise<number> => Number((await readFile(file, 'utf8')).trim());

describe.each([
  { mode: 'auto', env: {} },
  { mode: 'marker', env: { SHIPGATE_CONTAINMENT: 'marker' } },
])('SIGKILL of shipgate ($mode)', ({ env }) => {
  it('leaves nothing with the run marker within a few seconds: gate, service and their escaped daemons', async () => {
    const [port, gatePort, svcPort] = [await freePort(), await freePort(), await freePort()];
    const { dir, mark } = await project(
      (d, m) => `services:
  api:
    run: ${q(`${nodeCmd('daemon.mjs', d, 'svc', String(svcPort), m)} && exec ${nodeCmd('service.mjs')}`)}
    env: { PORT: "${port}", PIDFILE: ${q(join(d, 'api.pid'))}, CHILD_PID: ${q(join(d, 'api-child.pid'))} }
    ready: { http: "http://127.0.0.1:${port}/health", timeout: 20s, interval: 100ms }
gates:
  long:
    services: [api]
    run: ${q(`${nodeCmd('daemon.mjs', d, 'gate', String(gatePort), m)} && ${nodeCmd('tree.mjs', d, 'long', '--escape')}`)}
    timeout: 5m
`,
    );
    const cli = startCli(['run', '1.0.0', '--no-history'], { cwd: dir, env, timeoutMs: 60_000 });
    await waitForFile(join(dir, 'long.started'));
    // The attack is real: both daemons answer, outside every process group and session of the run.
    const gateDaemon = await pidIn(join(dir, 'gate-daemon.pid'));
    expect(await ask(gatePort)).toBe(`daemon gate ${mark}`);
    expect(await ask(svcPort)).toBe(`daemon svc ${mark}`);
    const token = runTokenOf(gateDaemon)!;
    expect(token, 'the daemon carries no run marker').toBeDefined();
    const ofRun = processesOfRun(token);
    expect(ofRun.length).toBeGreaterThanOrEqual(7); // 2 daemons, the service and its child, the gate's shell, tree and its 2 grandchildren
    const cgroup = cgroupOf(gateDaemon);
    const watchdogs = watchdogsOf(cli.child.pid!);
    expect(watchdogs).toHaveLength(1);

    cli.child.kill('SIGKILL');
    const res = await cli.done;
    expect(res.signal).toBe('SIGKILL');

    expect(await eventually(() => processesOfRun(token).length === 0), `left: ${processesOfRun(token).join(', ')}`).toBe(true);
    expect(processesWith(mark)).toEqual([]);
    expect(await survivors(await recordedPids(dir))).toEqual({});
    expect(await ask(gatePort)).not.toContain(mark);
    expect(await ask(svcPort)).not.toContain(mark);
    // The watchdog did its job and went; in cgroup mode it removed the run's cgroup too.
    expect(await eventually(() => !isRunning(watchdogs[0]!))).toBe(true);
    // (In marker mode, or when shipgate gates itself, the daemon's cgroup may be an outer run's.)
    if (cgroup?.includes(`/shipgate.${token}/`)) {
      const runRoot = cgroup.slice(0, cgroup.lastIndexOf('/'));
      expect(await eventually(() => !existsSync(join('/sys/fs/cgroup/unified', runRoot)) && !existsSync(join('/sys/fs/cgroup', runRoot)))).toBe(true);
    }
  });
});

describe('a second signal', () => {
  it.each([
    ['SIGINT', 'SIGINT'],
    ['SIGTERM', 'SIGTERM'],
    ['SIGINT', 'SIGTERM'],
  ] as const)('%s then %s stops everything at once, TERM-ignoring gate included, and still writes the interrupted decision; exit 130', async (first, second) => {
    const port = await freePort();
    const { dir } = await project(
      (d, m) => `services:
  api:
    run: ${q(nodeCmd('service.mjs'))}
    env: { PORT: "${port}", PIDFILE: ${q(join(d, 'api.pid'))}, CHILD_PID: ${q(join(d, 'api-child.pid'))}, E2E_MARK: ${q(m)} }
    ready: { http: "http://127.0.0.1:${port}/health", timeout: 20s, interval: 100ms }
gates:
  stuck:
    services: [api]
    run: ${q(nodeCmd('stubborn.mjs', join(d, 'stuck.pid')))}
    timeout: 5m
  later:
    needs: [stuck]
    run: touch later.ran
`,
    );
    const cli = startCli(['run', '1.0.0', '--no-history'], { cwd: dir, timeoutMs: 60_000 });
    await waitForFile(join(dir, 'stuck.pid'));
    await waitForFile(join(dir, 'api-child.pid'));
    cli.child.kill(first);
    // Wait until the gate has been asked to stop and ignored it: it is now in its grace period.
    const runs = join(dir, '.shipgate', 'runs');
    const log = async (): Promise<string> => {
      const [run] = await readdir(runs);
      return run ? readFile(join(runs, run, 'gate-stuck.log'), 'utf8').catch(() => '') : '';
    };
    expect(await eventually(async () => (await log()).includes('ignoring SIGTERM'))).toBe(true);
    cli.child.kill(second);
    const res = await cli.done;

    expect(res.code, res.stderr).toBe(130);
    expect(res.stderr).toContain('stopping immediately');
    expect(await survivors(await recordedPids(dir))).toEqual({});
    const { decision } = await onlyRunDecision(dir);
    expect(decision.interrupted).toBe(true);
    expect(decision.result).toBe('BLOCKED');
    expect(gate(decision, 'stuck').status).toBe('cancelled');
    expect(gate(decision, 'later').status).toBe('not-run');
    expect(existsSync(join(dir, 'later.ran'))).toBe(false);
  });
});

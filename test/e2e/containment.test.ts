/**
 * Containment through the real CLI: nothing a gate or a service starts outlives it — not even a
 * daemon that double-forked into a session of its own and whose parent exited at once — while an
 * honest background helper and a service shared by two gates keep working. The attacks run under
 * the mechanism this machine allows (a cgroup per command) and under the marker fallback
 * (SHIPGATE_CONTAINMENT=marker). Each test has its own mark, so it sees only its own processes.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort, gate, makeProject, nodeCmd, parseDecision, q, removeProject, runCli } from './helpers.js';
import { ask, eventually, killMarked, newMark, processesWith } from './containment-helpers.js';

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

const json = async (path: string): Promise<Record<string, unknown>> => JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;

describe.each([
  { mode: 'auto', env: {} },
  { mode: 'marker', env: { SHIPGATE_CONTAINMENT: 'marker' } },
])('containment ($mode)', ({ env }) => {
  it("a gate's daemon (double fork, setsid, parent gone) is stopped when the gate ends: the next gate gets no answer from it", async () => {
    const port = await freePort();
    const { dir, mark } = await project(
      (d, m) => `services:
  real:
    run: ${q(nodeCmd('service.mjs'))}
    env: { PORT: "${port}", E2E_MARK: ${q(m)} }
    ready: { http: "http://127.0.0.1:${port}/health", timeout: 20s, interval: 100ms }
gates:
  start-daemon:
    run: ${q(`${nodeCmd('daemon.mjs', d, 'gate', String(port), m)} && echo daemon is up`)}
  after:
    needs: [start-daemon]
    run: ${q(nodeCmd('check-daemon.mjs', join(d, 'gate-daemon.pid'), String(port), m, join(d, 'after.json')))}
  real-service:
    needs: [after]
    services: [real]
    probes:
      - { get: "http://127.0.0.1:${port}/", status: 200, body-contains: hello }
`,
    );
    const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir, env, timeoutMs: 60_000 });
    // The attack was real: the daemon came up and wrote its pid once it listened on the port.
    expect(existsSync(join(dir, 'gate-daemon.pid')), res.stderr).toBe(true);
    const after = await json(join(dir, 'after.json'));
    expect(after.alive, JSON.stringify(after)).toBe(false);
    expect(after.answered, JSON.stringify(after)).toBe(false);
    // And the honest path: the gate that started it passed, and the real service got the port.
    const d = parseDecision(res.stdout);
    expect(gate(d, 'start-daemon').status).toBe('pass');
    expect(gate(d, 'after').status).toBe('pass');
    expect(gate(d, 'real-service').status, gate(d, 'real-service').reason).toBe('pass');
    expect(res.code, res.stderr).toBe(0);
    expect(await eventually(() => processesWith(mark).length === 0)).toBe(true);
  });

  it("a service's daemon lives while the service is needed and is stopped with it: the next gate gets no answer from it", async () => {
    const [port, daemonPort] = [await freePort(), await freePort()];
    const { dir, mark } = await project(
      (d, m) => `services:
  leaky:
    run: ${q(`${nodeCmd('daemon.mjs', d, 'svc', String(daemonPort), m)} && exec ${nodeCmd('service.mjs')}`)}
    env: { PORT: "${port}" }
    ready: { http: "http://127.0.0.1:${port}/health", timeout: 20s, interval: 100ms }
gates:
  uses:
    services: [leaky]
    run: ${q(nodeCmd('check-daemon.mjs', join(d, 'svc-daemon.pid'), String(daemonPort), m, join(d, 'during.json'), '--expect-up'))}
    probes:
      - { get: "http://127.0.0.1:${port}/", status: 200, body-contains: hello }
  after:
    needs: [uses]
    run: ${q(nodeCmd('check-daemon.mjs', join(d, 'svc-daemon.pid'), String(daemonPort), m, join(d, 'after.json')))}
`,
    );
    const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir, env, timeoutMs: 60_000 });
    const during = await json(join(dir, 'during.json'));
    expect(during, 'while the gate needed the service, its daemon ran and answered').toMatchObject({ alive: true, answered: true });
    const after = await json(join(dir, 'after.json'));
    expect(after.alive, JSON.stringify(after)).toBe(false);
    expect(after.answered, JSON.stringify(after)).toBe(false);
    const d = parseDecision(res.stdout);
    expect(gate(d, 'uses').status, gate(d, 'uses').reason).toBe('pass');
    expect(gate(d, 'after').status).toBe('pass');
    expect(res.code, res.stderr).toBe(0);
    expect(await eventually(() => processesWith(mark).length === 0)).toBe(true);
  });
});

describe('containment (cgroup)', () => {
  it('a daemon that also scrubbed its environment is stopped with its gate all the same', async () => {
    const port = await freePort();
    const { dir, mark } = await project(
      (d, m) => `gates:
  start-daemon:
    run: ${q(nodeCmd('daemon.mjs', d, 'gate', String(port), m, '--scrub'))}
  after:
    needs: [start-daemon]
    run: ${q(nodeCmd('check-daemon.mjs', join(d, 'gate-daemon.pid'), String(port), m, join(d, 'after.json')))}
`,
    );
    const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir, env: { SHIPGATE_CONTAINMENT: 'cgroup' }, timeoutMs: 60_000 });
    expect(existsSync(join(dir, 'gate-daemon.pid')), res.stderr).toBe(true);
    expect(await json(join(dir, 'after.json'))).toMatchObject({ alive: false, answered: false });
    expect(res.code, res.stderr).toBe(0);
    expect(await eventually(() => processesWith(mark).length === 0)).toBe(true);
  });
});

describe('honest processes', () => {
  it('a gate that waits for its background helper passes; a service two gates use stays up, helper included, between them', async () => {
    const port = await freePort();
    const { dir, mark } = await project(
      (d, m) => `services:
  api:
    run: ${q(nodeCmd('service.mjs'))}
    env: { PORT: "${port}", PIDFILE: ${q(join(d, 'api.pid'))}, CHILD_PID: ${q(join(d, 'api-child.pid'))}, E2E_MARK: ${q(m)} }
    ready: { http: "http://127.0.0.1:${port}/health", timeout: 20s, interval: 100ms }
gates:
  one:
    services: [api]
    run: ${q('(sleep 0.3; echo helped > helper.out) & wait; cat helper.out; cat api.pid > one.seen')}
    probes:
      - { get: "http://127.0.0.1:${port}/", body-contains: hello }
  two:
    needs: [one]
    services: [api]
    run: ${q('kill -0 "$(cat api.pid)" && kill -0 "$(cat api-child.pid)" && cat api.pid > two.seen')}
    probes:
      - { get: "http://127.0.0.1:${port}/", body-contains: hello }
`,
    );
    const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir, timeoutMs: 60_000 });
    expect(res.code, res.stderr).toBe(0);
    const d = parseDecision(res.stdout);
    expect(gate(d, 'one').status).toBe('pass');
    expect(gate(d, 'two').status, gate(d, 'two').reason).toBe('pass');
    expect(await readFile(join(dir, 'helper.out'), 'utf8')).toBe('helped\n');
    const [one, two] = [await readFile(join(dir, 'one.seen'), 'utf8'), await readFile(join(dir, 'two.seen'), 'utf8')];
    expect(one, 'the service was restarted between the gates').toBe(two);
    // After the run, the service and its helper are gone too.
    expect(await eventually(() => processesWith(mark).length === 0)).toBe(true);
    expect(await ask(port)).not.toContain('hello');
  });
});

/**
 * Nobody else answers in a service's place, through the real CLI: before a service with `port:` (or
 * a ready URL on loopback) starts, its ports must be free; once it is ready, whoever listens there
 * must be the service's own process — not a leftover from an earlier run, not a process that grabbed
 * the port while the service was starting. The holder is named by pid and command.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, gate, makeProject, nodeCmd, parseDecision, q, removeProject, runCli, startCli, waitForFile } from './helpers.js';

const dirs: string[] = [];
const strays: ChildProcess[] = [];
afterEach(async () => {
  for (const p of strays.splice(0)) p.kill('SIGKILL');
  for (const d of dirs.splice(0)) await removeProject(d);
});

/** A process of nobody's run listening on `port`: what a leftover server from yesterday looks like. */
async function stray(port: number, marker: string): Promise<ChildProcess> {
  const p = spawn(process.execPath, ['-e', `require('http').createServer((q, s) => s.end('stray ${marker}')).listen(${port}, '127.0.0.1', () => console.log('up'))`, marker], { stdio: ['ignore', 'pipe', 'ignore'] });
  strays.push(p);
  await new Promise<void>((resolve) => p.stdout!.once('data', () => resolve()));
  return p;
}

describe('service ports', () => {
  it('a port held before the service starts fails it, naming the holder; a service with only a ready command is checked too', async () => {
    const port = await freePort();
    const holder = await stray(port, 'yesterday-server');
    const dir = await makeProject({
      'shipgate.yml': `services:
  api:
    run: ${q(nodeCmd('service.mjs'))}
    env: { PORT: "${port}" }
    port: ${port}
    ready: { command: "true", timeout: 5s }
gates:
  e2e:
    services: [api]
    run: "true"
`,
    });
    dirs.push(dir);
    const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir });
    expect(res.code).toBe(1);
    const g = gate(parseDecision(res.stdout), 'e2e');
    expect(g.reason).toContain(`port ${port} on 127.0.0.1 is already in use by pid ${holder.pid} (`);
    expect(g.reason).toContain('yesterday-server');
    expect(g.checks[0]!.actual).toContain('[SERVICE_PORT_TAKEN]');
  });

  it('a port grabbed by another process while the service was starting is not the service: SERVICE_PORT_FOREIGN', async () => {
    const port = await freePort();
    const dir = await makeProject({});
    dirs.push(dir);
    // The service itself never listens; its readiness only asks whether *something* answers.
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      join(dir, 'shipgate.yml'),
      `services:
  api:
    run: ${q(`touch ${join(dir, 'started')}; sleep 60`)}
    port: ${port}
    ready: { command: ${q(`node -e "require('net').connect(${port}, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1))"`)}, timeout: 20s, interval: 100ms }
gates:
  e2e:
    services: [api]
    probes: [{ get: "http://127.0.0.1:${port}/", status: 200 }]
`,
    );
    const cli = startCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir });
    await waitForFile(join(dir, 'started'));
    const squatter = await stray(port, 'grabbed-meanwhile');
    const res = await cli.done;
    expect(res.code).toBe(1);
    const g = gate(parseDecision(res.stdout), 'e2e');
    expect(g.reason).toContain(`port ${port} is held by pid ${squatter.pid} (`);
    expect(g.reason).toContain("which is not the service's own process");
    // The probe never ran against the impostor.
    expect(g.checks.some((c) => c.check.startsWith('GET '))).toBe(false);
  });

  it('honest: a service that listens on its declared port itself is ready, and its gate passes', async () => {
    const port = await freePort();
    const dir = await makeProject({
      'shipgate.yml': `services:
  api:
    run: ${q(nodeCmd('service.mjs'))}
    env: { PORT: "${port}" }
    port: [${port}]
    ready: { http: "http://127.0.0.1:${port}/health", timeout: 10s }
gates:
  e2e:
    services: [api]
    probes: [{ get: "http://127.0.0.1:${port}/health", status: 200 }]
`,
    });
    dirs.push(dir);
    const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
  });
});

describe('probe ports', () => {
  const probeGate = (port: number, extra = '') => `gates:
  smoke:
${extra}    probes: [{ get: "http://127.0.0.1:${port}/", status: 200, body-matches: "stray" }]
`;

  it('a leftover server on the probed loopback port fails the gate before it runs, naming the holder (PROBE_PORT_FOREIGN); it is never probed', async () => {
    const port = await freePort();
    const holder = await stray(port, 'last-release-server');
    const dir = await makeProject({ 'shipgate.yml': probeGate(port, '    run: "touch ran"\n') });
    dirs.push(dir);
    const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir });
    expect(res.code).toBe(1);
    const g = gate(parseDecision(res.stdout), 'smoke');
    expect(g.status).toBe('fail');
    const c = g.checks.find((x) => x.check === `probe port ${port}`)!;
    expect(c.actual).toContain(`held before the gate by pid ${holder.pid} (`);
    expect(c.actual).toContain('last-release-server');
    expect(c.actual).toContain('[PROBE_PORT_FOREIGN]');
    // The gate stopped there: its command never ran, no probe was sent.
    const { existsSync } = await import('node:fs');
    expect(existsSync(join(dir, 'ran'))).toBe(false);
    expect(g.checks.some((x) => x.check.startsWith('GET '))).toBe(false);
  });

  it('a server that appears on the port while the gate runs is caught at probe time', async () => {
    const port = await freePort();
    const dir = await makeProject({ 'shipgate.yml': probeGate(port, `    run: "touch started && sleep 2"\n`) });
    dirs.push(dir);
    const cli = startCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir });
    await waitForFile(join(dir, 'started'));
    const holder = await stray(port, 'sneaky-server');
    const res = await cli.done;
    expect(res.code).toBe(1);
    const c = gate(parseDecision(res.stdout), 'smoke').checks.find((x) => x.check === `probe port ${port}`)!;
    expect(c.actual).toContain(`held at probe time by pid ${holder.pid} (`);
  });

  it('honest: a probe answered by the gate\'s own service passes; a probe to a port nobody holds fails as a refused connection, not as foreign', async () => {
    const port = await freePort();
    const closed = await freePort();
    const dir = await makeProject({
      'shipgate.yml': `services:
  api:
    run: ${q(nodeCmd('service.mjs'))}
    env: { PORT: "${port}" }
    ready: { http: "http://127.0.0.1:${port}/health", timeout: 10s }
gates:
  smoke:
    services: [api]
    probes: [{ get: "http://127.0.0.1:${port}/health", status: 200 }]
  nobody:
    probes: [{ get: "http://127.0.0.1:${closed}/", status: 200 }]
`,
    });
    dirs.push(dir);
    const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir });
    const d = parseDecision(res.stdout);
    expect(gate(d, 'smoke').status, res.stderr).toBe('pass');
    const nobody = gate(d, 'nobody');
    expect(nobody.status).toBe('fail');
    expect(JSON.stringify(nobody.checks)).not.toContain('PROBE_PORT_FOREIGN');
    expect(JSON.stringify(nobody.checks)).toMatch(/ECONNREFUSED|refused/i);
  });
});

/**
 * `faults:` end to end: the real CLI starts the demo API and a redis-server of its own (on a free
 * port; the machine's Redis on 6379 is never touched), does a fault to Redis while the gate's
 * probes watch /health, and undoes it. The honest API degrades and recovers (READY); an API that
 * hides the outage, one that never recovers, and a Redis that refuses to come back are BLOCKED.
 *
 * Nothing here hangs on this machine's speed: a stopped Redis refuses connections at once, the
 * fault windows are seconds long while the probes need milliseconds, and the recovery probe polls
 * for up to 30 s where a second is plenty.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { NODE, REPO, freePort, gate, makeProject, onlyRunDecision, parseDecision, q, removeProject, runCli, startCli, survivors, waitForFile } from './helpers.js';

const DEMO_API = join(REPO, 'examples', 'demo', 'src', 'api', 'main.mjs');
const HEALTH_API = fileURLToPath(new URL('../fixtures/chaos/health-api.mjs', import.meta.url));
const REFUSE = fileURLToPath(new URL('../fixtures/chaos/refuse-second-start.sh', import.meta.url));
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map(removeProject)));

interface Setup {
  /** Point the API at a fault proxy on this port instead of at Redis itself (`$PROXY` in `fault`). */
  proxied?: boolean;
  /** The API's command (default: the demo API). */
  api?: string;
  /** The redis service's command; `$PORT` is replaced (default: redis-server, recording its pid). */
  redis?: string;
  fault?: string;
  probes?: string;
}

async function chaos(s: Setup = {}) {
  const [redisPort, apiPort, proxyPort] = [await freePort(), await freePort(), await freePort()];
  const health = `http://127.0.0.1:${apiPort}/health`;
  const fault = (s.fault ?? '{ service: redis, action: stop, after: 500ms, for: 3s }').replaceAll('$PROXY', `{ listen: ${proxyPort}, to: ${redisPort} }`);
  // Each start appends its pid, so the test can see that every Redis ever started is gone.
  const redis = (s.redis ?? `echo $$ >> redis.pids; exec redis-server --port $PORT --bind 127.0.0.1 --save '' --appendonly no`).replaceAll('$PORT', String(redisPort));
  const dir = await makeProject({
    'shipgate.yml': `services:
  redis:
    run: ${q(redis)}
    port: ${redisPort}
    ready: { command: "redis-cli -p ${redisPort} ping | grep -q PONG", timeout: 10s, interval: 100ms }
  api:
    run: ${q(s.api ?? `${NODE} ${DEMO_API}`)}
    env: { API_PORT: "${apiPort}", PORT: "${apiPort}", REDIS_PORT: "${s.proxied ? proxyPort : redisPort}" }
    ready: { http: "${health}", timeout: 20s, interval: 100ms }
gates:
  chaos:
    services: [redis, api]
    faults:
      - ${fault}
    probes:
${(s.probes ?? `      - { get: "${health}", json: { status: degraded, redis: down }, during: fault, retry: 3s }
      - { get: "${health}", json: { status: ok }, after: recovery, within: 30s }`).replaceAll('HEALTH', health)}
    expect: ["metric.chaos.recovery < 30s"]
`,
  });
  dirs.push(dir);
  const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir, timeoutMs: 60_000 });
  const decision = parseDecision(res.stdout);
  const g = gate(decision, 'chaos');
  const failing = JSON.stringify(g.checks.filter((c) => !c.ok), null, 1);
  return { dir, res, g, failing, decision };
}

/** Every Redis the run started is gone once the CLI has exited. */
async function noRedisLeft(dir: string): Promise<number[]> {
  const pids = (await readFile(join(dir, 'redis.pids'), 'utf8')).trim().split('\n').map(Number);
  expect(pids.length).toBeGreaterThan(0);
  expect(Object.keys(await survivors(Object.fromEntries(pids.map((p) => [String(p), p]))))).toEqual([]);
  return pids;
}

describe('chaos: degrade and recover', () => {
  it('honest: the demo API degrades while its Redis is stopped and is ok again after it returns: READY, timeline kept', async () => {
    const { dir, res, g, failing } = await chaos();
    expect(res.code, failing + res.stderr).toBe(0);
    expect(g.status).toBe('pass');
    expect(g.checks.find((c) => c.check === 'fault redis stop')).toMatchObject({ ok: true, actual: expect.stringMatching(/^stop at \+.* for .*; ready again/) });
    expect(g.checks.find((c) => c.check === 'metric.chaos.recovery < 30s')).toMatchObject({ ok: true });
    // Redis was started twice (before and after the fault), and neither outlived the run.
    expect(await noRedisLeft(dir)).toHaveLength(2);
    const { runDir } = await onlyRunDecision(dir);
    const kept = JSON.parse(await readFile(join(runDir, 'gate-chaos.faults.json'), 'utf8')) as { records: { name: string; data: { phases: Record<string, number | null>; events: { what: string }[] } }[] };
    const timeline = kept.records.find((r) => r.name === 'timeline')!.data;
    expect(timeline.phases.fault).toBeGreaterThanOrEqual(500);
    expect(timeline.phases.recovery).toBeGreaterThan(timeline.phases.faultEnd!);
    expect(timeline.events.map((e) => e.what)).toEqual(expect.arrayContaining(['stop redis', 'redis back and ready', expect.stringMatching(/passed .* after recovery$/)]));
  }, 60_000);

  it('honest: a paused Redis (SIGSTOP) answers nothing, the API degrades, and recovers after SIGCONT: READY', async () => {
    const { dir, res, failing } = await chaos({ fault: '{ service: redis, action: pause, after: 500ms, for: 3s }' });
    expect(res.code, failing + res.stderr).toBe(0);
    // Paused and resumed, never restarted: one Redis, gone after the run.
    expect(await noRedisLeft(dir)).toHaveLength(1);
  }, 60_000);

  it('honest: a drop through the fault proxy (Redis up, unreachable) degrades the API, which recovers after: READY, counted', async () => {
    const { dir, res, g, failing } = await chaos({ proxied: true, fault: '{ service: redis, action: drop, after: 500ms, for: 3s, proxy: $PROXY }' });
    expect(res.code, failing + res.stderr).toBe(0);
    expect(g.checks.find((c) => c.check === 'fault redis drop')).toMatchObject({ ok: true });
    // Redis itself was never touched: one process, and the proxy held what the API sent.
    expect(await noRedisLeft(dir)).toHaveLength(1);
    const { runDir } = await onlyRunDecision(dir);
    const kept = JSON.parse(await readFile(join(runDir, 'gate-chaos.faults.json'), 'utf8')) as { records: { data: { proxies: { connections: number; dropped: number }[] } }[] };
    const [proxy] = kept.records[0]!.data.proxies;
    expect(proxy!.dropped).toBeGreaterThan(0);
    expect(proxy!.connections).toBeGreaterThan(1);
  }, 60_000);

  it('honest: latency through the proxy beyond the API\'s PING timeout degrades it as well: READY', async () => {
    // The demo waits 500 ms for PONG; 1 s each way can only be slower than that.
    const { res, failing } = await chaos({ proxied: true, fault: '{ service: redis, action: latency, delay: 1s, after: 500ms, for: 3s, proxy: $PROXY }' });
    expect(res.code, failing + res.stderr).toBe(0);
  }, 60_000);

  it('honest: the demo\'s own optional chaos gate (examples/demo, ports made free) is READY', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shipgate-demo-chaos-'));
    dirs.push(dir);
    const demo = join(REPO, 'examples', 'demo');
    await cp(demo, dir, { recursive: true, filter: (src) => !['reports', 'dist', '.shipgate', 'node_modules'].includes(relative(demo, src).split(sep)[0]!) });
    const yml = await readFile(join(dir, 'shipgate.yml'), 'utf8');
    expect(yml).toContain('6390');
    expect(yml).toContain('4101');
    await writeFile(join(dir, 'shipgate.yml'), yml.replaceAll('6390', String(await freePort())).replaceAll('4101', String(await freePort())));
    const res = await runCli(['run', '1.4.0', '-c', join(dir, 'shipgate.yml'), '--only', 'chaos', '--with', 'chaos', '--no-history', '--json'], { cwd: dir, timeoutMs: 60_000 });
    const g = gate(parseDecision(res.stdout), 'chaos');
    expect(res.code, JSON.stringify(g.checks.filter((c) => !c.ok)) + res.stderr).toBe(0);
    expect(g.checks.find((c) => c.check === 'fault redis stop')).toMatchObject({ ok: true });
  }, 60_000);

  it('honest: a restart (stop and start at once) comes back, and the API with it: READY', async () => {
    const { dir, res, g, failing } = await chaos({
      fault: '{ service: redis, action: restart, after: 500ms }',
      probes: `      - { get: "HEALTH", json: { status: ok, redis: up }, after: recovery, within: 30s }`,
    });
    expect(res.code, failing + res.stderr).toBe(0);
    expect(g.checks.find((c) => c.check === 'fault redis restart')).toMatchObject({ ok: true, actual: expect.stringMatching(/ready again/) });
    expect(await noRedisLeft(dir)).toHaveLength(2);
  }, 60_000);

  it('HOSTILE: a proxy port someone already holds fails the fault, and the phases never come: BLOCKED', async () => {
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', () => r()));
    const taken = (squatter.address() as { port: number }).port;
    try {
      const { res, g } = await chaos({ proxied: true, fault: `{ service: redis, action: drop, after: 500ms, for: 3s, proxy: { listen: ${taken}, to: 1 } }` });
      expect(res.code).toBe(1);
      expect(g.checks.find((c) => c.check === 'fault redis drop')).toMatchObject({ ok: false, actual: expect.stringMatching(new RegExp(`^the fault proxy could not listen on 127\\.0\\.0\\.1:${taken}: .*EADDRINUSE`)) });
      expect(g.checks.find((c) => c.check.endsWith('during the fault'))).toMatchObject({ ok: false, actual: expect.stringMatching(/^the fault phase never happened/) });
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  }, 60_000);

  it('HOSTILE: an API that reports ok while Redis is down is BLOCKED by the during-fault probe', async () => {
    const { res, g } = await chaos({ api: `MODE=liar ${NODE} ${HEALTH_API}` });
    expect(res.code).toBe(1);
    const bad = g.checks.filter((c) => !c.ok);
    // The liar says ok (and nothing about Redis): the during-fault probe's JSON checks fail, nothing else.
    expect(bad.map((c) => c.check.replace(/^GET \S+ /, ''))).toEqual(['json status', 'json redis']);
    expect(bad[0]).toMatchObject({ expected: expect.stringContaining('degraded'), actual: expect.stringContaining('ok') });
    expect(g.checks.find((c) => c.check === 'fault redis stop')).toMatchObject({ ok: true });
  }, 60_000);

  it('HOSTILE: an API that never recovers is BLOCKED, saying recovery did not happen within the time', async () => {
    const { res, g } = await chaos({
      api: `MODE=sticky ${NODE} ${HEALTH_API}`,
      probes: `      - { get: "HEALTH", json: { status: degraded }, during: fault, retry: 3s }
      - { get: "HEALTH", json: { status: ok }, after: recovery, within: 3s }`,
    });
    expect(res.code).toBe(1);
    const phase = g.checks.find((c) => c.check.endsWith('after recovery'));
    expect(phase).toMatchObject({ ok: false, actual: 'recovery did not happen within 3 s after they came back' });
    // The service itself did come back: it is the API that failed.
    expect(g.checks.find((c) => c.check === 'fault redis stop')).toMatchObject({ ok: true });
  }, 60_000);

  it('HOSTILE: a Redis that refuses to start again after the fault is BLOCKED, and the recovery probe says the phase never came', async () => {
    const { dir, res, g } = await chaos({ redis: `${REFUSE} $PORT` });
    expect(res.code).toBe(1);
    expect(existsSync(join(dir, 'started-once'))).toBe(true);
    expect(g.checks.find((c) => c.check === 'fault redis stop')).toMatchObject({ ok: false, actual: expect.stringMatching(/^redis did not come back after the stop: service redis exited with code 3 before it was ready/) });
    expect(g.checks.find((c) => c.check.endsWith('after recovery'))).toMatchObject({ ok: false, actual: expect.stringMatching(/^the recovery phase never happened: redis did not come back/) });
    // No recovery, no recovery time: `expect` on it fails too (no data is never a pass).
    expect(g.checks.find((c) => c.check === 'metric.chaos.recovery < 30s')).toMatchObject({ ok: false });
  }, 60_000);

  it('a fault on a service the gate does not have is a configuration error, with the place and the nearest id', async () => {
    const dir = await makeProject({
      'shipgate.yml': `services:
  redis: { run: "sleep 5" }
gates:
  chaos:
    services: [redis]
    faults: [{ service: rediss, action: stop, after: 1s }]
    probes: [{ get: "http://127.0.0.1:1/health", during: fault }]
`,
    });
    dirs.push(dir);
    const res = await runCli(['run', '1.0.0', '--no-history'], { cwd: dir });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/shipgate\.yml:6:\d+.*service "rediss" is not one of this gate's services.*\[CONFIG_UNKNOWN_SERVICE\]/);
    expect(res.stderr).toContain('did you mean "redis"?');
    expect(res.stderr).toMatch(/a stop fault needs `for`/);
  });

  it('an interrupt while Redis is paused leaves nothing running: the stopped Redis is taken down too (exit 130)', async () => {
    const [redisPort, apiPort] = [await freePort(), await freePort()];
    const dir = await makeProject({
      'shipgate.yml': `services:
  redis:
    run: "echo $$ >> redis.pids; exec redis-server --port ${redisPort} --bind 127.0.0.1 --save '' --appendonly no"
    ready: { command: "redis-cli -p ${redisPort} ping | grep -q PONG", timeout: 10s, interval: 100ms }
  api:
    run: ${q(`${NODE} ${DEMO_API}`)}
    env: { API_PORT: "${apiPort}", REDIS_PORT: "${redisPort}" }
    ready: { http: "http://127.0.0.1:${apiPort}/health", timeout: 20s, interval: 100ms }
gates:
  chaos:
    services: [redis, api]
    faults: [{ service: redis, action: pause, after: 200ms, for: 40s }]
    probes: [{ get: "http://127.0.0.1:${apiPort}/health", json: { status: ok }, after: recovery, within: 5s }]
`,
    });
    dirs.push(dir);
    const cli = startCli(['run', '1.0.0', '--no-history'], { cwd: dir, timeoutMs: 60_000 });
    const pidFile = join(dir, 'redis.pids');
    await waitForFile(pidFile);
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    // Wait (bounded) until the kernel says Redis is stopped: the fault is in effect.
    const deadline = Date.now() + 20_000;
    while (processState(pid) !== 'T') {
      if (Date.now() > deadline) throw new Error(`redis ${pid} was never paused (state ${processState(pid)})`);
      await new Promise((r) => setTimeout(r, 50));
    }
    cli.child.kill('SIGINT');
    const res = await cli.done;
    expect(res.code).toBe(130);
    expect(Object.keys(await survivors({ redis: pid }))).toEqual([]);
  }, 60_000);
});

/** The one-letter state of a process in /proc (T: stopped), or '' when it is gone. */
function processState(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return '';
  }
}

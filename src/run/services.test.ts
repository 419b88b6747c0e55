import type { ChildProcess } from 'node:child_process';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceConfig } from '../config/types.js';
import { freePort, HTTP_SERVER, NODE, spawnHttpServer } from '../../test/fixtures/run/helpers.js';
import { isGone } from './proc-table.js';
import { liveProcessCount, stopAll } from './process.js';
import { ServiceError, ServicePool, startService, type RunningService } from './services.js';

const env = { ...process.env } as Record<string, string>;
let dir: string;
const started: RunningService[] = [];
const squatters: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shipgate-services-'));
});
afterEach(async () => {
  for (const s of started.splice(0)) await s.stop();
});
afterAll(async () => {
  for (const c of squatters) c.kill('SIGKILL');
  await stopAll(100);
  await rm(dir, { recursive: true, force: true });
});

const exists = (p: string): Promise<boolean> => access(p).then(
  () => true,
  () => false,
);
const ctx = () => ({ logDir: join(dir, 'logs'), env, graceMs: 200 });

function httpService(id: string, port: number, extraEnv: Record<string, string> = {}, timeoutMs = 5000): ServiceConfig {
  return {
    ports: [],
    id,
    run: `"${NODE}" "${HTTP_SERVER}"`,
    cwd: dir,
    env: { PORT: String(port), ...extraEnv },
    ready: { http: `http://127.0.0.1:${port}/health`, timeoutMs, intervalMs: 50 },
  };
}

async function startFails(svc: ServiceConfig, c = ctx()): Promise<ServiceError> {
  const err = await startService(svc, c).then(
    (rs) => {
      started.push(rs);
      throw new Error('expected the service to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ServiceError);
  return err as ServiceError;
}

describe('startService', () => {
  it('waits for a 2xx from the ready URL', async () => {
    const port = await freePort();
    // The server answers 503 at first: readiness has to poll past it.
    const rs = await startService(httpService('web', port, { READY_AFTER_MS: '300' }), ctx());
    started.push(rs);
    expect(rs.process.isAlive()).toBe(true);
    expect(rs.logPath).toBe(join(dir, 'logs', 'service-web.log'));
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    expect(res.status).toBe(200);
    expect(await readFile(rs.logPath, 'utf8')).toContain(`listening ${port}`);
    await rs.stop();
    expect(await isGone(rs.process.pid)).toBe(true);
  });

  it('waits for a readiness command to exit 0', async () => {
    const flag = join(dir, 'cmd-ready');
    const rs = await startService(
      {
        id: 'worker',
        ports: [],
        run: `sleep 0.3; touch ${flag}; sleep 30`,
        cwd: dir,
        env: {},
        ready: { command: `test -f ${flag}`, timeoutMs: 5000, intervalMs: 50 },
      },
      ctx(),
    );
    started.push(rs);
    expect(await exists(flag)).toBe(true);
    expect(rs.process.isAlive()).toBe(true);
  });

  it('fails with SERVICE_EXITED, exit code and log tail when the process exits before ready', async () => {
    const port = await freePort();
    const err = await startFails({
      id: 'broken',
      ports: [],
      run: 'echo "boom: DATABASE_URL is not set"; exit 4',
      cwd: dir,
      env: {},
      ready: { http: `http://127.0.0.1:${port}/health`, timeoutMs: 5000, intervalMs: 50 },
    });
    expect(err.code).toBe('SERVICE_EXITED');
    expect(err.message).toContain('exited with code 4 before it was ready');
    expect(err.logTail.join('\n')).toContain('boom: DATABASE_URL is not set');
  });

  it('fails with SERVICE_NOT_READY and the last result seen, and stops the process', async () => {
    const port = await freePort();
    const before = liveProcessCount();
    const err = await startFails(httpService('slow', port, { READY_AFTER_MS: '600000' }, 1500));
    expect(err.code).toBe('SERVICE_NOT_READY');
    expect(err.message).toContain('HTTP 503');
    expect(err.logTail.join('\n')).toContain(`listening ${port}`);
    expect(liveProcessCount()).toBe(before);
    // Nothing answers on the port any more.
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });

  it('a ready URL on a port fetch refuses fails at once, saying so, not at the timeout with "fetch failed"', async () => {
    const before = liveProcessCount();
    const err = await startFails({
      id: 'blocked',
      ports: [],
      run: 'sleep 30',
      cwd: dir,
      env: {},
      // 10080 is on the Fetch standard's blocked list: no attempt can ever connect.
      ready: { http: 'http://127.0.0.1:10080/health', timeoutMs: 600_000, intervalMs: 50 },
    });
    expect(err.code).toBe('SERVICE_NOT_READY');
    expect(err.message).toMatch(/^service blocked can never be ready: fetch refuses port 10080: .*use another port \(http:\/\/127\.0\.0\.1:10080\/health\)/);
    expect(err.message).not.toContain('fetch failed');
    expect(liveProcessCount()).toBe(before);
  });

  it('reports a failing readiness command in SERVICE_NOT_READY', async () => {
    const err = await startFails({
      id: 'never',
      ports: [],
      run: 'sleep 30',
      cwd: dir,
      env: {},
      ready: { command: 'exit 9', timeoutMs: 400, intervalMs: 50 },
    });
    expect(err.code).toBe('SERVICE_NOT_READY');
    expect(err.message).toContain('readiness command exited with code 9');
  });

  it('refuses a port someone else holds, naming the holder, without starting the service', async () => {
    const { child, port } = await spawnHttpServer();
    squatters.push(child);
    const marker = join(dir, 'squatted-started');
    const svc = httpService('api', port, { MARKER: marker });
    const err = await startFails(svc);
    expect(err.code).toBe('SERVICE_PORT_TAKEN');
    expect(err.message).toContain(`port ${port} on 127.0.0.1 is already in use by pid ${child.pid} (`);
    expect(err.message).toContain('stop it or change the port');
    expect(await exists(marker)).toBe(false);
  });

  it('without a readiness check, is ready once it stays up (env: ctx.env + svc.env), and fails if it exits at once', async () => {
    const rs = await startService(
      { ports: [], id: 'plain', run: 'echo "ctx=$CTX_VAR svc=$SVC_VAR both=$BOTH_VAR"; sleep 30', cwd: dir, env: { SVC_VAR: 's', BOTH_VAR: 'from-svc' } },
      { ...ctx(), env: { ...env, CTX_VAR: 'c', BOTH_VAR: 'from-ctx' } },
    );
    started.push(rs);
    expect(rs.process.isAlive()).toBe(true);
    expect(await readFile(rs.logPath, 'utf8')).toContain('ctx=c svc=s both=from-svc');
    const err = await startFails({ ports: [], id: 'quick', run: 'echo bye; exit 2', cwd: dir, env: {} });
    expect(err.code).toBe('SERVICE_EXITED');
    expect(err.message).toContain('code 2');
  });

  it('resolves `died` with SERVICE_DIED when the service exits after it was ready', async () => {
    const port = await freePort();
    const rs = await startService(httpService('crashy', port), ctx());
    started.push(rs);
    await fetch(`http://127.0.0.1:${port}/crash`).then((r) => r.text());
    const err = await rs.died;
    expect(err.code).toBe('SERVICE_DIED');
    expect(err.message).toContain('exited with code 3');
    expect(err.logTail.join('\n')).toContain('simulated crash');
  });

  it('does not report a death for a service stopped on purpose', async () => {
    const rs = await startService({ ports: [], id: 'calm', run: 'sleep 30', cwd: dir, env: {} }, ctx());
    let died = false;
    void rs.died.then(() => (died = true));
    await rs.stop();
    await rs.process.exited;
    // Whatever the exit handler would do has run by now; settle pending callbacks, then look.
    await new Promise((r) => setImmediate(r));
    expect(rs.process.isAlive()).toBe(false);
    expect(died).toBe(false);
  });

  it('stops and fails with SERVICE_CANCELLED when aborted while waiting', async () => {
    const ac = new AbortController();
    const pending = startService(
      { ports: [], id: 'waits', run: 'sleep 30', cwd: dir, env: {}, ready: { command: 'false', timeoutMs: 30_000, intervalMs: 50 } },
      { ...ctx(), signal: ac.signal },
    );
    setTimeout(() => ac.abort(), 200);
    await expect(pending).rejects.toMatchObject({ code: 'SERVICE_CANCELLED' });
  });
});

describe('ServicePool', () => {
  it('starts a shared service once for concurrent users and stops it after the last release', async () => {
    const port = await freePort();
    const counter = join(dir, 'starts.txt');
    const svc = httpService('shared', port, { READY_AFTER_MS: '200' });
    svc.run = `echo start >> ${counter}; exec ${svc.run}`;
    const pool = new ServicePool({ shared: svc }, ctx());
    pool.expect('shared', 3);
    const [a, b] = await Promise.all([pool.acquire('shared'), pool.acquire('shared')]);
    expect(a).toBe(b);
    expect((await readFile(counter, 'utf8')).trim().split('\n')).toEqual(['start']);
    await pool.release('shared');
    expect(a.process.isAlive()).toBe(true);
    await pool.release('shared');
    expect(a.process.isAlive()).toBe(true);
    // The third user never ran (a need failed): its release still counts.
    await pool.release('shared');
    expect(a.process.isAlive()).toBe(false);
    expect(await isGone(a.process.pid)).toBe(true);
  });

  it('without declared users, stops after the last acquirer releases', async () => {
    const pool = new ServicePool({ s: { ports: [], id: 's', run: 'sleep 30', cwd: dir, env: {} } }, ctx());
    const a = await pool.acquire('s');
    await pool.acquire('s');
    await pool.release('s');
    expect(a.process.isAlive()).toBe(true);
    await pool.release('s');
    expect(a.process.isAlive()).toBe(false);
  });

  it('stopAll stops every service and leaves no process behind', async () => {
    const port = await freePort();
    const pool = new ServicePool(
      { one: { ports: [], id: 'one', run: 'sleep 30 & sleep 30; wait', cwd: dir, env: {} }, two: httpService('two', port) },
      ctx(),
    );
    pool.expect('one', 5);
    pool.expect('two', 5);
    const one = await pool.acquire('one');
    const two = await pool.acquire('two');
    await pool.stopAll();
    expect(one.process.isAlive()).toBe(false);
    expect(two.process.isAlive()).toBe(false);
    expect(await isGone(one.process.pid)).toBe(true);
    expect(await isGone(two.process.pid)).toBe(true);
    expect(liveProcessCount()).toBe(0);
  });

  it('fails every concurrent acquirer of a service that cannot start, and rejects unknown ids', async () => {
    const pool = new ServicePool({ bad: { ports: [], id: 'bad', run: 'exit 5', cwd: dir, env: {} } }, ctx());
    const results = await Promise.allSettled([pool.acquire('bad'), pool.acquire('bad')]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      if (r.status === 'rejected') expect((r.reason as ServiceError).code).toBe('SERVICE_EXITED');
    }
    await expect(pool.acquire('nope')).rejects.toMatchObject({ code: 'SERVICE_UNKNOWN' });
  });

  it('turns a missing working directory into SERVICE_START_FAILED', async () => {
    const err = await startFails({ ports: [], id: 'lost', run: 'true', cwd: join(dir, 'no-such-dir'), env: {} });
    expect(err.code).toBe('SERVICE_START_FAILED');
    expect(err.message).toContain('does not exist');
  });
});

/**
 * Faults done to a running service on purpose (services.ts `fault`): with a real HTTP service in
 * its own process. A fault's stop or kill is no death; a service that does not come back says so
 * from `up`; a death after it came back is a death again; a pause stops the whole tree.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceConfig } from '../config/types.js';
import { freePort, HTTP_SERVER, NODE } from '../../test/fixtures/run/helpers.js';
import { isGone } from './proc-table.js';
import { stopAll } from './process.js';
import { ServiceError, startService, type RunningService } from './services.js';

const env = { ...process.env } as Record<string, string>;
let dir: string;
const started: RunningService[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shipgate-service-faults-'));
});
afterEach(async () => {
  for (const s of started.splice(0)) await s.stop();
});
afterAll(async () => {
  await stopAll(100);
  await rm(dir, { recursive: true, force: true });
});

const ctx = () => ({ logDir: join(dir, 'logs'), env, graceMs: 200 });

function httpService(port: number, run = `"${NODE}" "${HTTP_SERVER}"`): ServiceConfig {
  return { ports: [], id: 'svc', run, cwd: dir, env: { PORT: String(port) }, ready: { http: `http://127.0.0.1:${port}/health`, timeoutMs: 5000, intervalMs: 50 } };
}

/** Whether the service died (the `died` promise settled) within a short look. */
async function diedWithin(rs: RunningService, ms: number): Promise<ServiceError | undefined> {
  return Promise.race([rs.died, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms))]);
}

const state = (pid: number): string => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return '';
  }
};

describe('service faults', () => {
  it('a stop on purpose is no death; up starts it again, ready, as a new process', async () => {
    const port = await freePort();
    const rs = await startService(httpService(port), ctx());
    started.push(rs);
    const first = rs.process.pid;
    await rs.fault.down('stop');
    expect(await isGone(first)).toBe(true);
    expect(await diedWithin(rs, 300)).toBeUndefined();
    await rs.fault.up();
    expect(rs.process.pid).not.toBe(first);
    expect(rs.process.isAlive()).toBe(true);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  });

  it('HOSTILE: a death after the service came back is a death again', async () => {
    const port = await freePort();
    const rs = await startService(httpService(port), ctx());
    started.push(rs);
    await rs.fault.down('kill');
    await rs.fault.up();
    process.kill(rs.process.pid, 'SIGKILL');
    const err = await rs.died;
    expect(err).toMatchObject({ code: 'SERVICE_DIED', message: expect.stringContaining('was killed by SIGKILL while gates still needed it') });
  });

  it('HOSTILE: a service that will not start again is reported by up, with its log, and not as a death', async () => {
    const port = await freePort();
    // Starts the first time only: the second start finds the marker and exits 3.
    const marker = join(dir, `once-${port}`);
    const rs = await startService(httpService(port, `if [ -e "${marker}" ]; then echo refusing; exit 3; fi; touch "${marker}"; exec "${NODE}" "${HTTP_SERVER}"`), ctx());
    started.push(rs);
    await rs.fault.down('stop');
    const err = await rs.fault.up().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ServiceError);
    expect(err).toMatchObject({ code: 'SERVICE_EXITED', message: expect.stringContaining('exited with code 3 before it was ready'), logTail: expect.arrayContaining(['refusing']) });
    expect(await diedWithin(rs, 300)).toBeUndefined();
  });

  it('pause stops the whole tree (state T) and answers nothing; resume brings it back; a stop while paused still ends it', async () => {
    const port = await freePort();
    const rs = await startService(httpService(port), ctx());
    started.push(rs);
    await rs.fault.pause();
    // The signal is sent; the kernel stops the process a moment later.
    const deadline = Date.now() + 5000;
    while (state(rs.process.pid) !== 'T' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(state(rs.process.pid)).toBe('T');
    const silent = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(300) }).then(
      () => 'answered',
      (e: Error) => e.name,
    );
    expect(silent).toBe('TimeoutError');
    await rs.fault.resume();
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    await rs.fault.pause();
    const pid = rs.process.pid;
    await rs.stop();
    expect(await isGone(pid)).toBe(true);
  });

  it('HOSTILE: once the run stops the service, up does not start it again', async () => {
    const port = await freePort();
    const rs = await startService(httpService(port), ctx());
    await rs.fault.down('stop');
    await rs.stop();
    await expect(rs.fault.up()).rejects.toMatchObject({ code: 'SERVICE_CANCELLED' });
  });
});

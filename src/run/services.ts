/**
 * Services gates depend on: started before the gate, waited for until ready, stopped after the
 * last gate that needs them. Readiness only counts while the service's own process is alive, and
 * a port already taken by someone else fails the start: a squatter must never make a gate pass.
 */
import { join } from 'node:path';
import type { ServiceConfig } from '../config/types.js';
import { ShipgateError } from '../errors.js';
import { formatDuration } from '../util/duration-format.js';
import { blockedPortText } from '../util/fetch-blocked.js';
import { describeListener, listeners, portHolder, portOfUrl } from './ports.js';
import { runCommand, startProcess, tailFile, type CommandResult, type ManagedProcess } from './process.js';
import { sleep } from '../util/sleep.js';

export type ServiceErrorCode =
  | 'SERVICE_PORT_TAKEN'
  | 'SERVICE_PORT_FOREIGN'
  | 'SERVICE_EXITED'
  | 'SERVICE_NOT_READY'
  | 'SERVICE_DIED'
  | 'SERVICE_CANCELLED'
  | 'SERVICE_START_FAILED'
  | 'SERVICE_UNKNOWN';

export class ServiceError extends ShipgateError {
  readonly serviceId: string;
  readonly logPath?: string;
  /** Last lines of the service's log, for diagnostics. */
  readonly logTail: string[];
  constructor(
    code: ServiceErrorCode,
    serviceId: string,
    message: string,
    opts: { hint?: string; logPath?: string; logTail?: string[]; cause?: unknown } = {},
  ) {
    super(code, message, { hint: opts.hint, cause: opts.cause });
    this.serviceId = serviceId;
    this.logPath = opts.logPath;
    this.logTail = opts.logTail ?? [];
  }
}

/**
 * Faults done to a running service on purpose (a gate's `faults:`). While a fault holds the
 * service down its exit is not a death; a service that does not come back ready is reported by
 * `up`, not by `died`.
 */
export interface ServiceFaultControl {
  /** SIGSTOP every process of the service's tree. */
  pause(): Promise<void>;
  /** SIGCONT every process of the tree. */
  resume(): Promise<void>;
  /** Take the whole tree down: TERM, grace, KILL (`stop`), or KILL at once (`kill`). */
  down(how: 'stop' | 'kill'): Promise<void>;
  /** Start the service again as it was started first and wait until ready; throws a ServiceError when it does not come back. */
  up(): Promise<void>;
}

export interface RunningService {
  id: string;
  logPath: string;
  /** The service's current process tree (a new one after a fault restarted it). */
  readonly process: ManagedProcess;
  /** Resolves with a ServiceError if the service dies after being ready (while still needed). */
  readonly died: Promise<ServiceError>;
  stop(): Promise<void>;
  fault: ServiceFaultControl;
}

export interface ServiceContext {
  logDir: string;
  env: Record<string, string>;
  signal?: AbortSignal;
  /** TERM → KILL grace when stopping a service (default 3000 ms). */
  graceMs?: number;
  /** Values masked in service logs (default: the secrets of the environment). */
  secrets?: readonly string[];
  /** Each service log is cut at this many bytes (`defaults.log-max`). */
  logMaxBytes?: number;
}

/** Without a readiness check, a service that is still alive after this long counts as started. */
const NO_READY_SETTLE_MS = 200;
const TAIL_LINES = 20;
/** A single HTTP readiness request never waits longer than this, so polling keeps its rhythm. */
const HTTP_ATTEMPT_MS = 5000;


function describeExit(r: CommandResult): string {
  if (r.error) return `could not start (${r.error})`;
  return r.signal ? `was killed by ${r.signal}` : `exited with code ${r.exitCode}`;
}

/** Messages stay one line (they become a gate's reason); the log's last lines travel in `logTail`. */
function withLog(message: string, tail: string[], logPath: string): string {
  return tail.length === 0 ? `${message} (its log ${logPath} is empty)` : `${message} (see ${logPath})`;
}

function errorText(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'no response in time';
  const cause = err.cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return err.message ?? String(e);
}

/** Loopback hosts: a port there is this machine's, and who holds it can be checked. */
export const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '0.0.0.0', '::']);

/** The ports a service must own: its `port:` list and the loopback port of its ready URL. */
export function servicePorts(svc: ServiceConfig): { host: string; port: number }[] {
  const out = new Map<number, { host: string; port: number }>();
  for (const port of svc.ports) out.set(port, { host: '127.0.0.1', port });
  const target = svc.ready?.http ? portOfUrl(svc.ready.http) : undefined;
  if (target && LOOPBACK.has(target.host) && !out.has(target.port)) out.set(target.port, target);
  return [...out.values()];
}

/** One readiness attempt: undefined when ready, otherwise what was seen. */
async function checkReadyOnce(
  svc: ServiceConfig,
  env: Record<string, string>,
  readyLog: string,
  remainingMs: number,
  signal?: AbortSignal,
  secrets?: readonly string[],
): Promise<string | { never: string } | undefined> {
  const ready = svc.ready;
  if (!ready) return undefined;
  if (ready.http) {
    const timeout = AbortSignal.timeout(Math.max(100, Math.min(HTTP_ATTEMPT_MS, remainingMs)));
    try {
      const res = await fetch(ready.http, {
        redirect: 'manual',
        signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
      });
      await res.body?.cancel();
      return res.status >= 200 && res.status < 300 ? undefined : `HTTP ${res.status} from ${ready.http}`;
    } catch (e) {
      const blocked = blockedPortText(e, ready.http);
      // No later attempt can connect either: say so now instead of at the timeout.
      if (blocked) return { never: `${blocked} (${ready.http})` };
      return `${errorText(e)} from ${ready.http}`;
    }
  }
  if (ready.command) {
    const r = await runCommand({
      command: ready.command,
      cwd: svc.cwd,
      env,
      logFile: readyLog,
      secrets,
      timeoutMs: Math.max(100, remainingMs),
      graceMs: 500,
      signal,
    });
    if (r.exitCode === 0) return undefined;
    return `readiness command ${r.timedOut ? 'timed out' : describeExit(r)}: ${ready.command}`;
  }
  return undefined;
}

/**
 * Start one service's process and wait until it is ready. Throws a ServiceError (after stopping
 * whatever was started) when the port is taken, the process exits first, or it never becomes ready.
 */
async function bringUp(svc: ServiceConfig, ctx: ServiceContext): Promise<ManagedProcess> {
  const logPath = join(ctx.logDir, `service-${svc.id}.log`);
  const readyLog = join(ctx.logDir, `service-${svc.id}.ready.log`);
  const env = { ...ctx.env, ...svc.env };
  const cancelled = (): ServiceError =>
    new ServiceError('SERVICE_CANCELLED', svc.id, `service ${svc.id}: start cancelled`, { logPath });

  if (ctx.signal?.aborted) throw cancelled();
  const ports = servicePorts(svc);
  for (const { host, port } of ports) {
    const status = await portHolder(host, port);
    if (!status.free) {
      throw new ServiceError(
        'SERVICE_PORT_TAKEN',
        svc.id,
        `service ${svc.id}: port ${port} on ${host} is already in use by ${status.holder}; stop it or change the port`,
        { hint: 'a process left over from an earlier run would answer in place of this service', logPath },
      );
    }
  }

  let proc: ManagedProcess;
  try {
    proc = startProcess({ command: svc.run, cwd: svc.cwd, env, logFile: logPath, graceMs: ctx.graceMs, secrets: ctx.secrets, logMaxBytes: ctx.logMaxBytes });
  } catch (e) {
    const err = e as ShipgateError;
    throw new ServiceError('SERVICE_START_FAILED', svc.id, `service ${svc.id} could not be started: ${err.message}`, {
      hint: err.hint,
      logPath,
      cause: e,
    });
  }
  let exitResult: CommandResult | undefined;
  void proc.exited.then((r) => (exitResult = r));
  const fail = async (code: ServiceErrorCode, message: string, hint?: string): Promise<never> => {
    await proc.stop(ctx.graceMs);
    const tail = await tailFile(logPath, TAIL_LINES);
    throw new ServiceError(code, svc.id, withLog(message, tail, logPath), { hint, logPath, logTail: tail });
  };
  const exitedEarly = async (): Promise<never> => {
    const r = exitResult ?? (await proc.exited);
    return fail('SERVICE_EXITED', `service ${svc.id} ${describeExit(r)} before it was ready`);
  };

  const ready = svc.ready;
  if (!ready || (!ready.http && !ready.command)) {
    await Promise.race([sleep(NO_READY_SETTLE_MS, ctx.signal), proc.exited]);
    if (ctx.signal?.aborted) {
      await proc.stop(ctx.graceMs);
      throw cancelled();
    }
    if (!proc.isAlive()) await exitedEarly();
  } else {
    const started = Date.now();
    const deadline = started + ready.timeoutMs;
    let last = 'no readiness check completed';
    for (;;) {
      if (ctx.signal?.aborted) {
        await proc.stop(ctx.graceMs);
        throw cancelled();
      }
      if (!proc.isAlive()) await exitedEarly();
      const seen = await checkReadyOnce(svc, env, readyLog, deadline - Date.now(), ctx.signal, ctx.secrets);
      // A 2xx only counts if our own process is still there to have given it.
      if (!proc.isAlive()) await exitedEarly();
      if (seen === undefined) break;
      if (typeof seen === 'object') {
        return fail('SERVICE_NOT_READY', `service ${svc.id} can never be ready: ${seen.never}`, 'serve it on another port and change the ready URL with it');
      }
      last = seen;
      if (Date.now() + ready.intervalMs > deadline) {
        await fail(
          'SERVICE_NOT_READY',
          `service ${svc.id} was not ready after ${formatDuration(Date.now() - started)} (timeout ${formatDuration(ready.timeoutMs)}); last check: ${last}`,
          'raise ready.timeout, or check the service log for why it does not come up',
        );
      }
      await Promise.race([sleep(ready.intervalMs, ctx.signal), proc.exited]);
    }
  }

  // Ready is not enough: whoever listens on the service's ports must be the service itself, not a
  // process that grabbed the port meanwhile (or one the service handed it to outside its tree).
  for (const { port } of ports) {
    const found = await listeners(port);
    const foreign = found.filter((l) => !proc.owns(l.pid));
    if (found.length === 0 || foreign.length > 0) {
      await fail(
        'SERVICE_PORT_FOREIGN',
        found.length === 0
          ? `service ${svc.id}: nothing of the service listens on port ${port} (no listening socket of any process shipgate can see)`
          : `service ${svc.id}: port ${port} is held by ${foreign.map(describeListener).join(', ')}, which is not the service's own process`,
        'the service must listen itself; a port answered by another process proves nothing about this one',
      );
    }
  }

  return proc;
}

/**
 * Start one service and wait until it is ready (see `bringUp` for what fails the start). The handle
 * reports a death while the service is needed, and lets a gate's faults stop, kill, pause and
 * restart it without that counting as one.
 */
export async function startService(svc: ServiceConfig, ctx: ServiceContext): Promise<RunningService> {
  const logPath = join(ctx.logDir, `service-${svc.id}.log`);
  let current = await bringUp(svc, ctx);
  /** Stopped for good (the last gate released it, or the run ends). */
  let stopping = false;
  /** Held down by a fault until `up`: its exit is the fault's doing. */
  let held = false;
  let reportDeath!: (e: ServiceError) => void;
  // Never resolves for a service stopped on purpose.
  const died = new Promise<ServiceError>((resolve) => (reportDeath = resolve));
  const watch = (proc: ManagedProcess): void => {
    void proc.exited.then(async (r) => {
      if (stopping || held || proc !== current) return;
      const tail = await tailFile(logPath, TAIL_LINES);
      reportDeath(
        new ServiceError('SERVICE_DIED', svc.id, withLog(`service ${svc.id} ${describeExit(r)} while gates still needed it`, tail, logPath), {
          logPath,
          logTail: tail,
        }),
      );
    });
  };
  watch(current);
  const fault: ServiceFaultControl = {
    pause: () => current.signal('SIGSTOP'),
    resume: () => current.signal('SIGCONT'),
    down: async (how) => {
      held = true;
      await current.stop(how === 'kill' ? 0 : ctx.graceMs);
    },
    up: async () => {
      if (stopping) throw new ServiceError('SERVICE_CANCELLED', svc.id, `service ${svc.id}: not started again, the run is stopping it`, { logPath });
      const next = await bringUp(svc, ctx);
      if (stopping) {
        await next.stop(ctx.graceMs);
        throw new ServiceError('SERVICE_CANCELLED', svc.id, `service ${svc.id}: not started again, the run is stopping it`, { logPath });
      }
      current = next;
      held = false;
      watch(next);
    },
  };
  return {
    id: svc.id,
    logPath,
    get process() {
      return current;
    },
    died,
    stop: () => {
      stopping = true;
      return current.stop(ctx.graceMs);
    },
    fault,
  };
}

interface PoolEntry {
  /** Users still to release when the plan declared them; undefined = count acquires instead. */
  expected?: number;
  active: number;
  starting?: Promise<RunningService>;
  running?: RunningService;
}

/** Shared services with reference counts: each starts once, and stops after its last user. */
export class ServicePool {
  private readonly entries = new Map<string, PoolEntry>();
  /** Ids in the order they became ready, for stopping in reverse. */
  private readonly order: string[] = [];

  constructor(
    private readonly services: Record<string, ServiceConfig>,
    private readonly ctx: ServiceContext,
  ) {}

  private entry(id: string): PoolEntry {
    let e = this.entries.get(id);
    if (!e) {
      e = { active: 0 };
      this.entries.set(id, e);
    }
    return e;
  }

  /** Declare how many gates will use each service this run, so it can stop after the last. */
  expect(serviceId: string, users: number): void {
    this.entry(serviceId).expected = users;
  }

  /** Start (once; concurrent acquirers share one start) and wait until ready. Throws ServiceError. */
  async acquire(serviceId: string): Promise<RunningService> {
    const svc = this.services[serviceId];
    if (!svc) {
      throw new ServiceError('SERVICE_UNKNOWN', serviceId, `service ${serviceId} is not declared under services:`, {
        hint: `declare it, or remove it from the gate's services list`,
      });
    }
    const e = this.entry(serviceId);
    e.active += 1;
    try {
      if (e.running?.process.isAlive()) return e.running;
      if (!e.starting) {
        // A service that died is started afresh for the next user; a failed start is retried the same way.
        e.running = undefined;
        e.starting = startService(svc, this.ctx).then(
          (rs) => {
            e.running = rs;
            e.starting = undefined;
            this.order.push(serviceId);
            return rs;
          },
          (err: unknown) => {
            e.starting = undefined;
            throw err;
          },
        );
      }
      return await e.starting;
    } catch (err) {
      e.active = Math.max(0, e.active - 1);
      throw err;
    }
  }

  /** One user finished (or will never run); stops the service after the last. */
  async release(serviceId: string): Promise<void> {
    const e = this.entries.get(serviceId);
    if (!e) return;
    e.active = Math.max(0, e.active - 1);
    if (e.expected !== undefined) e.expected = Math.max(0, e.expected - 1);
    const done = e.expected !== undefined ? e.expected === 0 : e.active === 0;
    if (done) await this.stopOne(serviceId);
  }

  private async stopOne(serviceId: string): Promise<void> {
    const e = this.entries.get(serviceId);
    if (!e) return;
    if (e.starting) await e.starting.catch(() => undefined);
    const rs = e.running;
    e.running = undefined;
    const at = this.order.lastIndexOf(serviceId);
    if (at >= 0) this.order.splice(at, 1);
    if (rs) await rs.stop();
  }

  /** Stop every service, in reverse start order. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => e.starting?.catch(() => undefined)));
    for (const id of [...this.order].reverse()) await this.stopOne(id);
  }
}

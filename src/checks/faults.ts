/**
 * `faults:` — chaos on the gate's own services, while its probes watch: does the release degrade
 * the way it says it does, and recover?
 *
 *   faults:
 *     - { service: redis, action: stop, after: 1s, for: 5s }
 *     - { service: db, action: latency, delay: 300ms, after: 1s, for: 5s, proxy: { listen: 6391, to: 6390 } }
 *   probes:
 *     - { get: "http://127.0.0.1:4100/health", json: { status: degraded }, during: fault, retry: 3s }
 *     - { get: "http://127.0.0.1:4100/health", json: { status: ok }, after: recovery, within: 30s }
 *
 * Process faults act on the service's whole process tree: `stop` (TERM, grace, KILL; started again
 * after `for`), `kill` (KILL; started again after `for`, at once without it), `pause` (SIGSTOP;
 * SIGCONT after `for`), `restart` (stop and start at once). Network faults go through a TCP proxy
 * the run places on `proxy.listen`, forwarding to `proxy.to`, for the whole of the gate's checks:
 * `latency` delays every chunk by `delay`, `drop` blackholes (connections are accepted and held,
 * bytes are discarded; connections that lived through it are closed when it ends), `reset` resets
 * open and new connections (RST). The app under test must be pointed at the proxy's port.
 *
 * The clock starts when the gate's checks start (after its command): each fault begins `after`
 * that and lasts `for`. The `fault` phase spans from the first fault taking effect to the last one
 * being undone; `recovery` begins once every faulted service is back (ready again by its own
 * `ready:` check). A service that does not come back fails the gate, and so does a probe bound to a
 * phase that never happened. The timeline is kept in the run folder.
 */
import { z } from 'zod';
import { deferred } from '../config/deferred.js';
import { duration } from '../config/fields.js';
import { suggest } from '../config/issues.js';
import type { FieldPath } from '../config/locate.js';
import { parseDuration } from '../config/values.js';
import type { Metric } from '../model/evidence.js';
import type { Check } from '../model/types.js';
import { formatDuration } from '../util/duration-format.js';
import { sleep } from '../util/sleep.js';
import { defineCheckKind, nonEmptyList, type CheckContext, type FaultProxy, type GateService, type RuleContext } from './kind.js';

export const PROCESS_ACTIONS = ['stop', 'kill', 'pause', 'restart'] as const;
export const NETWORK_ACTIONS = ['latency', 'drop', 'reset'] as const;
export const FAULT_ACTIONS = [...PROCESS_ACTIONS, ...NETWORK_ACTIONS] as const;
export type FaultAction = (typeof FAULT_ACTIONS)[number];

/** Actions that last: without `for` nobody would know when they end. */
const NEEDS_FOR: readonly FaultAction[] = ['stop', 'pause', 'latency', 'drop', 'reset'];

const port = z.number().int().min(1).max(65535);

export const faultSchema = deferred(() =>
  z.strictObject({
    service: z.string().min(1).meta({ description: 'The service (of this gate) the fault is done to' }),
    action: z.enum(FAULT_ACTIONS).meta({ description: 'stop | kill | pause | restart (its process tree); latency | drop | reset (through the proxy)' }),
    after: duration.optional().meta({ description: 'When the fault begins, from the start of the gate\'s checks (default at once)' }),
    for: duration.optional().meta({ description: 'How long it lasts (required for stop, pause, latency, drop, reset; kill without it restarts at once)' }),
    delay: duration.optional().meta({ description: 'latency: added to every chunk, each way' }),
    proxy: z
      .strictObject({ listen: port.meta({ description: 'Loopback port the proxy listens on (point the app here)' }), to: port.meta({ description: 'Loopback port of the service' }) })
      .optional()
      .meta({ description: 'Network faults: where the TCP fault proxy listens and where it forwards' }),
  })
);

export type UserFault = z.input<typeof faultSchema>;

export interface FaultConfig {
  service: string;
  action: FaultAction;
  afterMs: number;
  forMs: number;
  delayMs?: number;
  proxy?: { listen: number; to: number };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const ms = (d: unknown): number | undefined => (typeof d === 'string' ? parseDuration(d) : undefined);
const isNetwork = (a: unknown): boolean => (NETWORK_ACTIONS as readonly unknown[]).includes(a);

function faultRules(f: unknown, at: FieldPath, ctx: RuleContext, gateServices: string[]): void {
  if (!isObj(f)) return;
  const action = f.action as FaultAction;
  if (typeof f.service === 'string' && !gateServices.includes(f.service)) {
    const near = suggest(f.service, gateServices);
    ctx.push(
      'CONFIG_UNKNOWN_SERVICE',
      `service "${f.service}" is not one of this gate's services`,
      [...at, 'service'],
      near ? `did you mean "${near}"?` : gateServices.length ? `this gate's services: ${gateServices.join(', ')}` : 'list it under the gate\'s `services:` (faults act on services the gate starts)',
    );
  }
  if (!(FAULT_ACTIONS as readonly unknown[]).includes(action)) return; // the schema says so
  if (NEEDS_FOR.includes(action) && f.for === undefined) ctx.push('CONFIG_VALUE', `a ${action} fault needs \`for\`: how long it lasts`, [...at, 'action'], 'add e.g. `for: 5s`');
  if (action === 'restart' && f.for !== undefined) ctx.push('CONFIG_VALUE', 'a restart starts the service again at once; it has no `for`', [...at, 'for'], 'for a service that stays down a while, use `action: stop` with `for`');
  if (action === 'latency' && f.delay === undefined) ctx.push('CONFIG_VALUE', 'a latency fault needs `delay`', [...at, 'action'], 'add e.g. `delay: 500ms`');
  if (action !== 'latency' && f.delay !== undefined) ctx.push('CONFIG_VALUE', '`delay` only applies to a latency fault', [...at, 'delay']);
  if (isNetwork(action) && f.proxy === undefined) {
    ctx.push('CONFIG_VALUE', `a ${action} fault goes through the fault proxy and needs \`proxy: { listen, to }\``, [...at, 'action'], 'point the app at `listen`; `to` is the service\'s port');
  }
  if (!isNetwork(action) && f.proxy !== undefined) ctx.push('CONFIG_VALUE', `a ${action} fault acts on the process; \`proxy\` only applies to latency, drop and reset`, [...at, 'proxy']);
  if (isObj(f.proxy) && f.proxy.listen === f.proxy.to && f.proxy.listen !== undefined) ctx.push('CONFIG_VALUE', 'the proxy cannot listen on the port it forwards to', [...at, 'proxy', 'listen']);
}

/** Two faults on one service at once (or two proxies on one port) would undo each other. */
function overlapRules(faults: unknown[], at: FieldPath, ctx: RuleContext): void {
  const windows = faults.map((f, i) => {
    if (!isObj(f) || typeof f.service !== 'string') return undefined;
    const start = f.after === undefined ? 0 : ms(f.after);
    const length = f.for === undefined ? 0 : ms(f.for);
    return start === undefined || length === undefined ? undefined : { i, service: f.service, start, end: start + length, listen: isObj(f.proxy) ? f.proxy.listen : undefined };
  });
  for (const a of windows) {
    for (const b of windows) {
      if (!a || !b || b.i <= a.i) continue;
      if (a.service === b.service && a.start <= b.end && b.start <= a.end) {
        ctx.push('CONFIG_VALUE', `faults ${a.i} and ${b.i} act on service "${a.service}" at the same time`, [...at, b.i, 'after'], 'give the later one an `after` past the end of the earlier one');
      } else if (a.listen !== undefined && a.listen === b.listen && a.service !== b.service) {
        ctx.push('CONFIG_VALUE', `faults ${a.i} and ${b.i} both want a proxy on port ${String(a.listen)} for different services`, [...at, b.i, 'proxy', 'listen']);
      }
    }
  }
}

interface Done {
  fault: FaultConfig;
  check: Check;
  /** ms from undoing the fault to the service being back (process faults that restart). */
  restoreMs?: number;
  /** Set when the service is not back: the recovery phase never comes. */
  notBack?: string;
}

/** Each fault's check name: `fault redis stop`, numbered when the same one comes again. */
const names = new WeakMap<FaultConfig, string>();
function nameFaults(faults: FaultConfig[]): void {
  const seen = new Map<string, number>();
  for (const f of faults) {
    const base = `fault ${f.service} ${f.action}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    names.set(f, n === 1 ? base : `${base} #${n}`);
  }
}
const what = (f: FaultConfig): string => names.get(f) ?? `fault ${f.service} ${f.action}`;

/** Do the faults (with their proxies opened first), undo them, and say what happened. */
async function runFaults(faults: FaultConfig[], ctx: CheckContext): Promise<{ done: Done[]; proxies: Map<number, FaultProxy> }> {
  nameFaults(faults);
  const clock = ctx.chaos;
  const t0 = Date.now();
  clock.arm(t0);
  clock.plannedFaultEndMs = t0 + Math.max(...faults.map((f) => f.afterMs + f.forMs));
  const rel = (t: number) => `+${formatDuration(Math.max(0, t - t0))}`;
  const proxies = new Map<number, FaultProxy>();
  for (const f of faults) {
    if (!f.proxy || proxies.has(f.proxy.listen)) continue;
    try {
      proxies.set(f.proxy.listen, await ctx.openProxy(f.proxy.listen, f.proxy.to));
      clock.record(`proxy 127.0.0.1:${f.proxy.listen} → 127.0.0.1:${f.proxy.to} opened`);
    } catch (e) {
      const reason = `the fault proxy could not listen on 127.0.0.1:${f.proxy.listen}: ${(e as Error).message}`;
      clock.never(reason);
      return { done: [{ fault: f, check: { check: what(f), expected: 'the proxy listens', actual: reason, ok: false }, notBack: reason }], proxies };
    }
  }
  let active = faults.length;
  const one = async (f: FaultConfig): Promise<Done> => {
    const svc = ctx.services.find((s) => s.id === f.service);
    const endPhase = (): void => {
      // The fault phase ends when the last fault is undone, before anything comes back.
      if (--active === 0) clock.faultEnded();
    };
    if (!svc) {
      endPhase();
      const reason = `service ${f.service} was not started for this gate`;
      return { fault: f, check: { check: what(f), expected: 'a service of this gate', actual: reason, ok: false }, notBack: reason };
    }
    await sleep(f.afterMs, ctx.signal);
    if (ctx.signal.aborted) {
      endPhase();
      return { fault: f, check: { check: what(f), expected: 'done and undone', actual: 'cancelled before the fault', ok: false }, notBack: 'cancelled' };
    }
    const began = Date.now();
    try {
      await apply(f, svc, proxies);
    } catch (e) {
      endPhase();
      const reason = `could not ${f.action} ${f.service}: ${(e as Error).message}`;
      return { fault: f, check: { check: what(f), expected: 'done and undone', actual: reason, ok: false }, notBack: reason };
    }
    // `for` counts from when the fault took effect (a stop may take its grace period), so the
    // planned end moves with it: probes during the fault may retry until then.
    clock.plannedFaultEndMs = Math.max(clock.plannedFaultEndMs ?? 0, Date.now() + f.forMs);
    clock.faultBegan();
    clock.record(`${f.action} ${f.service}${f.action === 'latency' ? ` (${formatDuration(f.delayMs!)})` : ''}`);
    // A cancelled gate still undoes what it did (a paused service resumes, a proxy passes through).
    if (f.forMs > 0) await sleep(f.forMs, ctx.signal);
    const undone = Date.now();
    endPhase();
    try {
      await undo(f, svc, proxies, ctx.signal.aborted);
    } catch (e) {
      const reason = `${f.service} did not come back after the ${f.action}: ${(e as Error).message}`;
      clock.record(reason);
      return { fault: f, check: { check: what(f), expected: 'the service is back and ready after the fault', actual: reason, ok: false }, notBack: reason };
    }
    const back = Date.now();
    if (ctx.signal.aborted) return { fault: f, check: { check: what(f), expected: 'done and undone', actual: 'cancelled during the fault', ok: false }, notBack: 'cancelled' };
    const restarts = f.action === 'stop' || f.action === 'kill' || f.action === 'restart';
    clock.record(restarts ? `${f.service} back and ready` : `${f.action} on ${f.service} undone`);
    return {
      fault: f,
      restoreMs: restarts ? back - undone : undefined,
      check: {
        check: what(f),
        expected: 'done and undone, the service back',
        actual: `${f.action} at ${rel(began)} for ${formatDuration(undone - began)}${restarts ? `; ready again ${formatDuration(back - undone)} later` : ''}`,
        ok: true,
      },
    };
  };
  const done = await Promise.all(faults.map(one));
  const notBack = done.find((d) => d.notBack !== undefined);
  if (notBack) clock.never(notBack.notBack!);
  else clock.recovered();
  return { done, proxies };
}

async function apply(f: FaultConfig, svc: GateService, proxies: Map<number, FaultProxy>): Promise<void> {
  switch (f.action) {
    case 'stop':
    case 'restart':
      return svc.fault.down('stop');
    case 'kill':
      return svc.fault.down('kill');
    case 'pause':
      return svc.fault.pause();
    case 'latency':
      return proxies.get(f.proxy!.listen)!.set({ kind: 'latency', delayMs: f.delayMs! });
    case 'drop':
      return proxies.get(f.proxy!.listen)!.set({ kind: 'drop' });
    case 'reset':
      return proxies.get(f.proxy!.listen)!.set({ kind: 'reset' });
  }
}

async function undo(f: FaultConfig, svc: GateService, proxies: Map<number, FaultProxy>, cancelled: boolean): Promise<void> {
  if (f.action === 'pause') return svc.fault.resume();
  if (f.proxy) return proxies.get(f.proxy.listen)!.set(undefined);
  // A cancelled gate does not start a service only to stop it again.
  if (!cancelled) await svc.fault.up();
}

export const faultsKind = defineCheckKind<UserFault[], FaultConfig[], 'faults'>({
  key: 'faults',
  schema: z.array(faultSchema),
  present: nonEmptyList,
  // The probes watch the service while the faults are done to it.
  alongside: 'probes',
  yieldsMetrics: true,
  normalize: (user) =>
    user.map((u) => ({
      service: u.service,
      action: u.action,
      afterMs: u.after ? parseDuration(u.after)! : 0,
      forMs: u.for ? parseDuration(u.for)! : 0,
      ...(u.delay ? { delayMs: parseDuration(u.delay)! } : {}),
      ...(u.proxy ? { proxy: { listen: u.proxy.listen, to: u.proxy.to } } : {}),
    })),
  rules(raw, at, ctx) {
    if (!Array.isArray(raw)) return;
    const gateServices = Array.isArray(ctx.gate.services) ? ctx.gate.services.filter((s): s is string => typeof s === 'string') : [];
    raw.forEach((f, i) => faultRules(f, [...at, i], ctx, gateServices));
    overlapRules(raw, at, ctx);
    // Without a probe bound to a phase, nothing would say how the release behaved under the fault.
    const bound = Array.isArray(ctx.gate.probes) && ctx.gate.probes.some((p) => isObj(p) && (p.during !== undefined || p.after !== undefined));
    if (!bound) {
      ctx.push('CONFIG_VALUE', 'faults are judged by the gate\'s probes bound to their phases, and this gate has none', at, 'add probes with `during: fault` and `after: recovery`');
    }
  },
  interpolate: (cfg) => cfg,
  async run(faults, ctx) {
    let proxies = new Map<number, FaultProxy>();
    let done: Done[] = [];
    try {
      ({ done, proxies } = await runFaults(faults, ctx));
      // The probes may still be watching the recovery: the timeline is kept once they are done.
      if (ctx.until && !ctx.until.aborted) await new Promise((r) => ctx.until!.addEventListener('abort', r, { once: true }));
    } finally {
      for (const p of proxies.values()) await p.close();
    }
    const times = ctx.chaos.snapshot();
    const metrics: Metric[] = [];
    if (times.faultStartMs !== undefined && times.faultEndMs !== undefined) metrics.push({ name: 'metric.chaos.fault', value: times.faultEndMs - times.faultStartMs, unit: 'ms' });
    const restores = done.flatMap((d) => (d.restoreMs === undefined ? [] : [d.restoreMs]));
    if (restores.length) metrics.push({ name: 'metric.chaos.restore', value: Math.max(...restores), unit: 'ms' });
    const startMs = times.startMs ?? Date.now();
    const at = (t: number | undefined) => (t === undefined ? null : t - startMs);
    return {
      checks: done.map((d) => d.check),
      metrics,
      phase: times.faultStartMs !== undefined ? { startMs: times.faultStartMs, endMs: times.faultEndMs ?? Date.now() } : undefined,
      evidence: [
        {
          name: 'timeline',
          data: {
            startedAt: new Date(startMs).toISOString(),
            // Offsets in ms from the start of the gate's checks.
            phases: { fault: at(times.faultStartMs), faultEnd: at(times.faultEndMs), recovery: at(times.recoveryMs), never: times.never ?? null },
            faults,
            events: ctx.chaos.events.map((e) => ({ at: at(e.atMs), what: e.what })),
            proxies: [...proxies.values()].map((p) => ({ listen: p.listen, to: p.to, ...p.stats() })),
          },
        },
      ],
    };
  },
});

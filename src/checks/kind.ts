/**
 * A check kind: one key of a gate (`probes`, `artifacts`, `prometheus`, `load`, …) with everything
 * that key means, in one file — what users write (a zod schema, which also becomes the editor JSON
 * Schema), how it is normalised, the rules a schema cannot say, how `${…}` variables are resolved,
 * and what it does when the gate runs: `run → { checks, metrics, evidence }`.
 *
 * Kinds are listed once, in `registry.ts`; the config stage and the gate runner loop over that list,
 * so a new kind touches no other file. A kind may import util, errors, model and config only:
 * what it needs from the run stage (the gate's services, who listens on a port, cancellation)
 * arrives through its `CheckContext`.
 *
 * Every kind fails closed: no data, an unreadable answer or a generator that could not do what it
 * was asked is a failing check with a message that says what happened and what to do, never a pass.
 */
import type { z } from 'zod';
import type { Vars } from '../config/interpolate.js';
import type { FieldPath } from '../config/locate.js';
import type { Metric } from '../model/evidence.js';
import type { ArtifactRecord, Check } from '../model/types.js';
import type { PhaseClock } from './phase-clock.js';

/** What normalisation may use besides the kind's own value. */
export interface NormalizeContext {
  /** The gate's working directory (absolute). */
  cwd: string;
}

/** What a kind's rules report through: one call per problem, at a path inside the gate's key. */
export interface RuleContext {
  /** Report a problem at `path` (from the top of the file: `['gates', id, key, …]`). */
  push(code: string, message: string, path: FieldPath, hint?: string): void;
  /** The gate as written (shape unchecked): for rules about the kind's neighbours. */
  gate: Record<string, unknown>;
  /** Report every unknown `${…}` variable in `text`. */
  checkVars(text: unknown, path: FieldPath): void;
  /** Report text that is not a URL (variables count as placeholders). */
  checkUrl(url: string, path: FieldPath): void;
  /** Report text that is not a regular expression. */
  checkRegex(source: string, path: FieldPath): void;
}

/** A service the gate started, as a kind may see it. */
export interface GateService {
  id: string;
  /** The service's main process (its process group leader; a new one after a fault restarted it). */
  readonly pid: number;
  /** Whether a process belongs to the service's process tree. */
  owns(pid: number): boolean;
  /** Faults on purpose (`faults:`): while a fault holds the service down, its exit is no crash. */
  fault: {
    /** SIGSTOP its whole process tree. */
    pause(): Promise<void>;
    /** SIGCONT its whole process tree. */
    resume(): Promise<void>;
    /** Take the tree down: TERM, grace, KILL (`stop`) or KILL at once (`kill`). */
    down(how: 'stop' | 'kill'): Promise<void>;
    /** Start it again as it was started and wait until ready; rejects, saying why, when it does not come back. */
    up(): Promise<void>;
  };
}

/** What a TCP fault proxy does to the connections through it; `undefined` = pass through. */
export type ProxyFault = { kind: 'latency'; delayMs: number } | { kind: 'drop' } | { kind: 'reset' };

/** A TCP proxy the run stage placed on a loopback port, forwarding to a service's port. */
export interface FaultProxy {
  readonly listen: number;
  readonly to: number;
  /** Change what happens to the connections (open ones and new ones) from now on. */
  set(fault: ProxyFault | undefined): void;
  /** Counters, for the timeline. */
  stats(): { connections: number; reset: number; dropped: number; delayedChunks: number };
  close(): Promise<void>;
}

/** What a kind gets when the gate runs. */
export interface CheckContext {
  gate: string;
  /** The gate's working directory (absolute). */
  cwd: string;
  /** The run's folder: a kind may keep files there. */
  runDir: string;
  /** When the run started (epoch ms). */
  runStartedMs: number;
  /** Cancelled when the run is interrupted or one of the gate's services dies. */
  signal: AbortSignal;
  services: readonly GateService[];
  /**
   * A failing check when something other than the gate's services answers on the URL's loopback
   * port (a server left from an earlier run would answer for this release); undefined otherwise.
   */
  foreignListener(url: string, when: 'before the gate' | 'at probe time'): Promise<Check | undefined>;
  /** Where earlier kinds of this gate ran: a window later kinds may look back on (`load` → `prometheus`). */
  phases: ReadonlyMap<string, { startMs: number; endMs: number }>;
  /** The run's labels (`--label NAME`): e.g. a release marked as a fix. */
  labels?: readonly string[];
  /** For a kind that runs `alongside` another: aborted when that one has finished. */
  until?: AbortSignal;
  /** The gate's chaos timeline (`faults:` writes it, phase-bound probes wait on it); one per gate. */
  chaos: PhaseClock;
  /** Listen on 127.0.0.1:`listen` and forward to 127.0.0.1:`to`; closed by the gate's teardown at the latest. */
  openProxy(listen: number, to: number): Promise<FaultProxy>;
}

/** A record a kind keeps of what it saw, for the reader who asks "why": written to the run folder. */
export interface KeptEvidence {
  /** What it is about, e.g. the query's name. */
  name: string;
  data: unknown;
}

export interface CheckResult {
  checks: Check[];
  /** Measured values, named as the expect language reads them (`metric.load.latency.p95`). */
  metrics?: Metric[];
  /** Records worth keeping: the query, its window, the raw answer. */
  evidence?: KeptEvidence[];
  /** Files this kind vouched for (artifacts), recorded with their digests. */
  artifacts?: ArtifactRecord[];
  /** The time span the kind was active in, when later kinds may want it (`load`). */
  phase?: { startMs: number; endMs: number };
}

export interface CheckKind<User = unknown, Norm = unknown, Key extends string = string> {
  /** The gate key. */
  key: Key;
  /** The schema of the value under the key, as users write it (no transforms: what is read is what was written). */
  schema: z.ZodType<User, User>;
  /** Does the raw value (shape not yet checked) ask for anything? An empty list does not. */
  present(raw: unknown): boolean;
  /**
   * The key of a kind this one runs beside (`soak` samples while `load` runs): started just
   * before it, told to stop through `CheckContext.until` when it has finished.
   */
  alongside?: string;
  /** True when the kind measures metrics that `expect` can judge without any report. */
  yieldsMetrics: boolean;
  normalize(user: User, ctx: NormalizeContext): Norm;
  /** Rules across fields, on the raw parsed value: look only at parts whose shape you can read. */
  rules?(raw: unknown, at: FieldPath, ctx: RuleContext): void;
  /** Resolve `${…}` (throws InterpolationError on an unknown or unsafe value). */
  interpolate(cfg: Norm, vars: Vars): Norm;
  /**
   * Checks made before the gate's command runs; a failing one stops the gate there (nobody else may
   * be listening where the kind will send requests).
   */
  preflight?(cfg: Norm, ctx: CheckContext): Promise<Check[]>;
  run(cfg: Norm, ctx: CheckContext): Promise<CheckResult>;
}

/** A kind with its types bound, for the registry's list (each entry keeps its own types inside). */
export type AnyCheckKind = CheckKind<any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Define a kind with its types checked against each other. */
export function defineCheckKind<User, Norm, const Key extends string>(kind: CheckKind<User, Norm, Key>): CheckKind<User, Norm, Key> {
  return kind;
}

/** The schema shape the kinds add to a gate: each key, optional, with its own type. */
export type CheckKindShape<Kinds extends readonly AnyCheckKind[]> = {
  [K in Kinds[number] as K['key']]: z.ZodOptional<K['schema']>;
};

/** `present` for a list-valued key: a non-empty array. */
export const nonEmptyList = (raw: unknown): boolean => Array.isArray(raw) && raw.length > 0;

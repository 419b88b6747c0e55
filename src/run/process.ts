/**
 * Running shell commands as process trees we can always take down again.
 *
 * Every command runs in a containment cell (containment.ts): a cgroup of its own where the machine
 * allows it, else its process group, session, parent links and an inherited marker. What the
 * command leaves behind when it exits — a background helper, a daemon that double-forked and
 * setsid'ed away from its parent — goes with it: TERM, a grace period, KILL. Asking whether
 * anything is left is a question to the kernel first; the process table is read only when the
 * mechanism needs it. A second interrupt switches every stop to zero grace ("hurry").
 * Output goes to an append-only log file, never into memory.
 */
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, open as openCallback, openSync, statSync, writeSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ShipgateError } from '../errors.js';
import { registerProcessControl } from './lifecycle.js';
import { killEverythingSync, openCell, type Cell } from './containment.js';
import { MARKER_ENV } from './marker.js';
import { groupGone, isGone, listProcesses, signalQuietly, treeAndGroup } from './proc-table.js';
import { sleep } from '../util/sleep.js';
import { formatBytes } from '../util/size-format.js';
import { Masker, secretValues } from './redact.js';
import type { Started } from './spawner.js';

export interface CommandOptions {
  /** A shell command, run with /bin/sh -c. */
  command: string;
  cwd: string;
  /** Full environment to use (the caller merges process.env). */
  env: Record<string, string>;
  /** stdout+stderr appended here (directories created); a header line with the command and time first. */
  logFile: string;
  /** The log file is cut at this many bytes (default 100 MB), with a marker where. */
  logMaxBytes?: number;
  /** Values masked in the log and live output (default: the secrets of `env`, see redact.ts). */
  secrets?: readonly string[];
  /** On timeout: stop the whole tree. */
  timeoutMs?: number;
  /** On abort: stop the whole tree. */
  signal?: AbortSignal;
  /** TERM → wait grace (default 3000) → KILL. */
  graceMs?: number;
  /** Optional live output. */
  onOutput?: (chunk: string) => void;
}

export interface CommandResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  cancelled: boolean;
  durationMs: number;
  startedAt: string;
  /** Set when the shell could not be started at all (exitCode and signal are then null). */
  error?: string;
}

export interface ManagedProcess {
  pid: number;
  /** Resolves when the process exits and whatever it left behind is gone (never rejects). */
  readonly exited: Promise<CommandResult>;
  isAlive(): boolean;
  /** Stop the whole tree; resolves once everything is gone. */
  stop(graceMs?: number): Promise<void>;
  /** Is `pid` this command's own (it, or anything it started)? */
  owns(pid: number): boolean;
  /** Send `sig` to every process of the tree (chaos faults: SIGSTOP, SIGCONT). */
  signal(sig: NodeJS.Signals): Promise<void>;
}

export const DEFAULT_GRACE_MS = 3000;
/** KILL cannot be ignored, but a process in uninterruptible sleep can linger; never hang forever on it. */
const KILL_WAIT_MS = 10_000;
/** After the shell exits, how long its output pipes may stay open (held by an escaped descendant) before we stop reading. */
const PIPE_DRAIN_MS = 2000;
const POLL_MS = 25;

/* ---------- hurry: after a second interrupt, no stop waits for anyone ---------- */

let hurried = false;
const hurrySignal = new AbortController();

/**
 * Switch every stop, running or future, to zero grace, and stop everything still running now. The
 * run then finishes its normal path (and writes its decision) quickly.
 */
export function hurry(): void {
  if (hurried) return;
  hurried = true;
  hurrySignal.abort();
  void stopAll(0);
}

export function isHurried(): boolean {
  return hurried;
}

/** Polls start fast (most leftovers go within milliseconds of a TERM) and back off. */
function nextPoll(ms: number): number {
  return Math.min(POLL_MS, ms * 2);
}

/** Wait until the cell is empty or `deadline`; in the grace phase a hurry ends the wait at once. */
async function waitEmpty(cell: Cell, deadline: number, grace: boolean): Promise<boolean> {
  let poll = 2;
  for (;;) {
    if (await cell.isEmpty()) return true;
    if (Date.now() >= deadline || (grace && hurried)) return false;
    // In the KILL phase, anything forked between the last look and the kill is killed as well.
    if (!grace) cell.killSync();
    await sleep(Math.min(poll, Math.max(1, deadline - Date.now())), grace ? hurrySignal.signal : undefined);
    poll = nextPoll(poll);
  }
}

/**
 * Stop a cell: nothing to do when the kernel says it is empty (the usual case, at no cost);
 * otherwise TERM to every process in it, up to `graceMs` for them to go, then KILL, and wait until
 * they are gone (zombies count as gone: reaping them is their parent's job).
 */
async function stopCell(cell: Cell, graceMs: number): Promise<void> {
  try {
    if (await cell.isEmpty()) return;
    if (!hurried && graceMs > 0) {
      await cell.signal('SIGTERM');
      // A stopped process (a paused service) only acts on TERM once it runs again.
      await cell.signal('SIGCONT');
      if (await waitEmpty(cell, Date.now() + graceMs, true)) return;
    }
    cell.killSync();
    await waitEmpty(cell, Date.now() + KILL_WAIT_MS, false);
  } finally {
    cell.release();
  }
}

async function waitAllGone(pids: Iterable<number>, pgid: number, deadline: number, grace: boolean): Promise<boolean> {
  const pending = new Set(pids);
  for (;;) {
    for (const pid of [...pending]) if (await isGone(pid)) pending.delete(pid);
    if (pending.size === 0 && (await groupGone(pgid))) return true;
    if (Date.now() >= deadline || (grace && hurried)) return false;
    await sleep(POLL_MS, grace ? hurrySignal.signal : undefined);
  }
}

/**
 * Stop process group `pid` and every descendant of `pid` that parent links still lead to: TERM,
 * wait up to `graceMs`, KILL, and wait until they are gone. For a process shipgate did not start
 * in a cell; what `launch` starts is stopped through its cell, which also finds orphans.
 */
export async function stopTree(pid: number, graceMs: number): Promise<void> {
  if ((await groupGone(pid)) && (await isGone(pid))) return;
  const collected = treeAndGroup(await listProcesses(), pid);
  collected.add(pid);
  const grace = hurried ? 0 : Math.max(0, graceMs);
  if (grace > 0) {
    signalQuietly(-pid, 'SIGTERM');
    for (const p of collected) signalQuietly(p, 'SIGTERM');
    if (await waitAllGone(collected, pid, Date.now() + grace, true)) return;
  }
  // Anything started during the grace period is included as well.
  for (const p of treeAndGroup(await listProcesses(), pid)) collected.add(p);
  signalQuietly(-pid, 'SIGKILL');
  for (const p of collected) signalQuietly(p, 'SIGKILL');
  await waitAllGone(collected, pid, Date.now() + KILL_WAIT_MS, false);
}

/* ---------- registry of live process groups (so the CLI can stop everything on SIGINT) ---------- */

const live = new Set<ManagedProcess>();

/** Stop every process group started by this module that is still around. */
export async function stopAll(graceMs: number = DEFAULT_GRACE_MS): Promise<void> {
  await Promise.all([...live].map((p) => p.stop(hurried ? 0 : graceMs)));
}

/** Number of process groups started here that are not yet fully gone. */
export function liveProcessCount(): number {
  return live.size;
}

/**
 * SIGKILL everything this process started, synchronously, for an exit that cannot wait (the
 * watchdog does the same once this process is gone).
 */
export function killAllNow(): void {
  killEverythingSync();
}

/* ---------- launching ---------- */

interface OpenedLog {
  fd: number;
  startedAt: string;
}

function logUnwritable(logFile: string, e: unknown): ShipgateError {
  return new ShipgateError('RUN_LOG_UNWRITABLE', `cannot write the log file ${logFile}: ${(e as Error).message}`, {
    hint: 'check that the run folder is writable',
    cause: e,
  });
}

const logHeader = (command: string, cwd: string, startedAt: string): string => `\n$ ${command}\n# started ${startedAt} in ${cwd}\n`;

function openLog(logFile: string, command: string, cwd: string): OpenedLog {
  const startedAt = new Date().toISOString();
  try {
    mkdirSync(dirname(logFile), { recursive: true });
    const fd = openSync(logFile, 'a');
    writeSync(fd, logHeader(command, cwd, startedAt));
    return { fd, startedAt };
  } catch (e) {
    throw logUnwritable(logFile, e);
  }
}

/**
 * The same, with the directory and the file made on libuv's threads: creating a file can take the
 * disk's time (half a millisecond each, seen here), which the main thread spends on other gates.
 */
async function openLogAsync(logFile: string, command: string, cwd: string): Promise<OpenedLog> {
  let fd: number | undefined;
  const openIt = (): Promise<number> => new Promise<number>((resolve, reject) => openCallback(logFile, 'a', (err, n) => (err ? reject(err) : resolve(n))));
  try {
    // The run folder is there for every log but the first: make it only when the open says it is not.
    fd = await openIt().catch(async (e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
      await mkdir(dirname(logFile), { recursive: true });
      return openIt();
    });
    const startedAt = new Date().toISOString();
    writeSync(fd, logHeader(command, cwd, startedAt));
    return { fd, startedAt };
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    throw logUnwritable(logFile, e);
  }
}

function checkCwd(cwd: string): void {
  let isDir = false;
  try {
    isDir = statSync(cwd).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    throw new ShipgateError('RUN_CWD_MISSING', `working directory ${cwd} does not exist or is not a directory`, {
      hint: 'create it or fix the cwd in shipgate.yml',
    });
  }
}

/** Default cap of one gate's or service's log: enough for any honest tool, bounded for a runaway one. */
export const DEFAULT_LOG_MAX_BYTES = 100 * 1000 * 1000;

/**
 * The bytes a log may still take, shared by a command's stdout and stderr: past the cap the output
 * is still read (so the command never blocks on a full pipe) but dropped, and one marker line says
 * where and how much was cut.
 */
class LogCap {
  private dropped = 0;
  private marked = false;
  constructor(
    private room: number,
    private readonly max: number,
  ) {}

  /** The part of `chunk` that still fits; the marker once the cap is reached. */
  take(chunk: string): string {
    if (this.room <= 0) {
      this.dropped += Buffer.byteLength(chunk);
      return this.mark();
    }
    const bytes = Buffer.byteLength(chunk);
    if (bytes <= this.room) {
      this.room -= bytes;
      return chunk;
    }
    // Cut on a character boundary: at most `room` bytes of text.
    const kept = Buffer.from(chunk).subarray(0, this.room).toString('utf8').replace(/\uFFFD$/, '');
    this.dropped += bytes - Buffer.byteLength(kept);
    this.room = 0;
    return kept + this.mark();
  }

  private mark(): string {
    if (this.marked) return '';
    this.marked = true;
    return `\n# shipgate: log cut here at ${formatBytes(this.max)} (log-max); the rest of the output was read and discarded\n`;
  }

  /** A footer line with the count, written when the command ends. */
  summary(): string {
    return this.dropped > 0 ? `# shipgate: ${this.dropped} bytes of output were discarded after the cut\n` : '';
  }
}

/**
 * A command's log: its output, masked (secrets, and credentials in any URL) before anything is
 * written or shown, cut at the cap, written synchronously. A synchronous write of a piece of output
 * to a local file costs microseconds, far less than the stream machinery it replaced; and while it
 * waits on a slow disk nothing more is read, so the command, not shipgate's memory, waits.
 */
class LogSink {
  private broken = false;
  constructor(
    private readonly fd: number,
    private readonly cap: LogCap,
    private readonly onOutput?: (chunk: string) => void,
  ) {}

  write(text: string): void {
    if (text === '') return;
    if (this.onOutput) {
      try {
        this.onOutput(text);
      } catch {
        // A failing listener must not break the run; the log still has everything.
      }
    }
    this.put(this.cap.take(text));
  }

  /** Write the last words and close the file; anything written later is dropped (its fd may be reused). */
  close(text: string): void {
    this.put(text);
    this.broken = true;
    try {
      closeSync(this.fd);
    } catch {
      // Closing a log we could not write to either: the result still reports the exit.
    }
  }

  private put(text: string): void {
    if (text === '' || this.broken) return;
    try {
      writeSync(this.fd, text);
    } catch {
      // Disk full or similar after start: keep the command running; the result still reports its exit.
      this.broken = true;
    }
  }
}

/** Read every output stream of `child` into `sink` (each masked on its own); resolves when all have ended. */
function pipeOutput(child: Started, sink: LogSink, secrets: readonly string[]): Promise<void> {
  const streams = [child.stdout, child.stderr].filter((s) => s !== null);
  return Promise.all(
    streams.map(
      (raw) =>
        new Promise<void>((resolve) => {
          const masker = new Masker(secrets);
          let done = false;
          const end = (): void => {
            if (done) return;
            done = true;
            sink.write(masker.end());
            resolve();
          };
          raw.setEncoding('utf8');
          raw.on('data', (chunk: string) => sink.write(masker.push(chunk)));
          raw.once('end', end);
          raw.once('close', end);
          raw.once('error', end);
        }),
    ),
  ).then(() => undefined);
}

/**
 * `viaSpawner`: a command run to completion may start through shipgate-spawner (spawner.ts) when its
 * cell is a cgroup; a service keeps Node's spawn (its pid is shown and followed for its whole life).
 */
function launch(opts: CommandOptions, viaSpawner = false, opened?: OpenedLog): ManagedProcess {
  if (!opened) checkCwd(opts.cwd);
  const { fd, startedAt } = opened ?? openLog(opts.logFile, opts.command, opts.cwd);
  const logMax = opts.logMaxBytes ?? DEFAULT_LOG_MAX_BYTES;
  // The cap is for the whole file: retries and later steps append to the same log.
  const cap = new LogCap(logMax - fstatSync(fd).size, logMax);
  const sink = new LogSink(fd, cap, opts.onOutput);
  const t0 = performance.now();
  const grace = opts.graceMs ?? DEFAULT_GRACE_MS;
  const flags = { timedOut: false, cancelled: false };

  let cell: Cell;
  try {
    cell = openCell(opts.env[MARKER_ENV]);
  } catch (e) {
    sink.close('');
    throw e;
  }
  let child: Started;
  // Resolves once the command runs or could not start (at once for Node's spawn). Until then a
  // stop waits: an empty cgroup the spawner is about to clone into is not yet an empty cell.
  let running: Promise<void> = Promise.resolve();
  let helper = false;
  try {
    const env = { ...opts.env, ...cell.env };
    const kid = viaSpawner ? cell.startInside('/bin/sh', ['-c', opts.command], { cwd: opts.cwd, env }) : undefined;
    if (kid) {
      helper = true;
      running = kid.settled;
      child = kid;
    } else {
      const { file, args } = cell.argv(opts.command);
      child = spawn(file, args, {
        cwd: opts.cwd,
        env,
        // Its own process group and session: signals to the group reach the whole ordinary tree.
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    }
  } catch (e) {
    sink.close('');
    cell.release();
    throw new ShipgateError('RUN_SPAWN_FAILED', `cannot start /bin/sh for ${opts.command}: ${(e as Error).message}`, {
      cause: e,
    });
  }

  // Started: Node gave a pid, or the spawner was asked (its pid comes later; the cgroup holds it).
  const started = helper || child.pid !== undefined;
  let alive = started;
  if (!helper && child.pid !== undefined) cell.attach(child.pid);
  let stopping: Promise<void> | undefined;
  const stopNow = (graceMs: number): Promise<void> => (stopping ??= running.then(() => stopCell(cell, hurried ? 0 : graceMs)));
  const stop = (graceMs: number = grace): Promise<void> => {
    if (!started) return Promise.resolve();
    return stopNow(graceMs).then(() => exited.then(() => undefined));
  };

  const piped = pipeOutput(child, sink, opts.secrets ?? secretValues(opts.env));
  let timer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    flags.cancelled = true;
    void stop();
  };

  const exited = new Promise<CommandResult>((resolve) => {
    let settled = false;
    const finish = async (code: number | null, sig: NodeJS.Signals | null, error?: string): Promise<void> => {
      if (settled) return;
      settled = true;
      alive = false;
      const durationMs = Math.round(performance.now() - t0);
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      // Whatever the command left running in its group (or below it) goes with it: a leftover
      // server from one gate must not answer the next gate's probes.
      // Reaped: from here on the shell's pid is never signalled again (it may be reused).
      cell.reaped();
      if (started) await stopNow(grace);
      else cell.release();
      // A timer, not an aborted sleep: aborting makes a DOMException with a stack, for every command.
      let drainTimer: NodeJS.Timeout | undefined;
      await Promise.race([piped, new Promise<void>((r) => (drainTimer = setTimeout(r, PIPE_DRAIN_MS)))]);
      clearTimeout(drainTimer);
      child.stdout?.destroy();
      child.stderr?.destroy();
      const footer = error
        ? `# could not start: ${error}\n`
        : `# exited ${sig ? `by ${sig}` : `with code ${code}`}${flags.timedOut ? ' (timed out)' : ''}${flags.cancelled ? ' (cancelled)' : ''} after ${durationMs} ms\n`;
      sink.close(cap.summary() + footer);
      live.delete(managed);
      resolve({ exitCode: code, signal: sig, timedOut: flags.timedOut, cancelled: flags.cancelled, durationMs, startedAt, ...(error ? { error } : {}) });
    };
    child.once('exit', (code, sig) => void finish(code, sig));
    child.once('error', (e) => void finish(null, null, e.message));
  });

  if (opts.timeoutMs !== undefined && started) {
    timer = setTimeout(() => {
      flags.timedOut = true;
      void stop();
    }, opts.timeoutMs);
  }
  if (opts.signal) {
    if (opts.signal.aborted) onAbort();
    else opts.signal.addEventListener('abort', onAbort, { once: true });
  }

  const managed: ManagedProcess = {
    get pid() {
      return child.pid ?? -1;
    },
    exited,
    isAlive: () => alive,
    stop,
    owns: (p) => cell.owns(p),
    // Never after the stop began: the cell may be gone, and its pids someone else's.
    signal: (sig) => (alive && !stopping ? cell.signal(sig) : Promise.resolve()),
  };
  if (started) live.add(managed);
  return managed;
}

/**
 * Run a command to completion. Rejects (with a ShipgateError) only when it cannot be set up: missing
 * cwd or unwritable log. A command that cannot be spawned resolves with `error` set.
 */
export async function runCommand(opts: CommandOptions): Promise<CommandResult> {
  if (opts.signal?.aborted) {
    return { exitCode: null, signal: null, timedOut: false, cancelled: true, durationMs: 0, startedAt: new Date().toISOString() };
  }
  checkCwd(opts.cwd);
  const opened = await openLogAsync(opts.logFile, opts.command, opts.cwd);
  return launch(opts, true, opened).exited;
}

/** Start a long-running process (a service). Throws a ShipgateError when it cannot be set up. */
export function startProcess(opts: Omit<CommandOptions, 'timeoutMs'>): ManagedProcess {
  return launch(opts);
}

/**
 * The last `maxLines` lines of a text file, reading only its end. A missing file has no lines.
 */
export async function tailFile(path: string, maxLines: number): Promise<string[]> {
  if (maxLines <= 0) return [];
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return [];
  }
  try {
    const { size } = await handle.stat();
    // Grow the window until it holds enough lines; cap it so a huge line-less file stays cheap.
    const cap = 4 * 1024 * 1024;
    let window = Math.min(size, 64 * 1024);
    for (;;) {
      const start = size - window;
      const buf = Buffer.alloc(window);
      await handle.read(buf, 0, window, start);
      const lines = buf.toString('utf8').split(/\r?\n/);
      if (lines.at(-1) === '') lines.pop();
      // The first line may be cut mid-way unless the window reaches the start of the file.
      if (lines.length > maxLines || start === 0 || window >= cap) {
        return lines.slice(start === 0 ? -maxLines : Math.max(1, lines.length - maxLines));
      }
      window = Math.min(size, window * 4, cap);
    }
  } finally {
    await handle.close();
  }
}

registerProcessControl({ stopAll: () => stopAll(), hurry, killAllNow });

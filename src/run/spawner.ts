/**
 * Starting commands through shipgate-spawner (spawner.c says why and how): a helper process, one per
 * shipgate process, that clones each command straight into its cell's cgroup. Node's own spawn forks
 * shipgate's whole address space on the main thread for every command; the helper's fork costs a
 * small fraction of that, off the main thread.
 *
 * Used only where the kernel tracks the command from birth (a cgroup cell), so that no pid is ever
 * signalled after the helper reaped it. Anywhere else — no helper built (no C compiler at install),
 * another mechanism, `SHIPGATE_SPAWNER=node`, or a helper that died — commands start with Node's
 * spawn exactly as before. A helper that dies while commands run fails those commands (their exit
 * status is unknown, so nothing can pass on it); their cells are stopped as usual.
 *
 * The helper is also the watchdog-in-waiting (containment.ts): when shipgate's end of its socket
 * closes, however shipgate ended, it execs the watchdog, which sweeps the run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ownPackage } from '../util/package-root.js';

/** What launching yields either way: a pid (at once from Node, once started from the helper), output, 'exit' and 'error'. */
export interface Started extends EventEmitter {
  readonly pid?: number | undefined;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
}

/** A command started by the helper; `settled` resolves once it is running or could not start. */
export class HelperChild extends EventEmitter implements Started {
  pid: number | undefined;
  readonly stdout = new PassThrough();
  readonly stderr = null;
  /** 'X' seen: the exit was reported (or the helper is gone). */
  done = false;
  readonly settled: Promise<void>;
  settle!: () => void;
  constructor(readonly id: number) {
    super();
    this.settled = new Promise((r) => (this.settle = r));
  }
}

const FRAME_HEAD = 9;
const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

/** `[code, signal]` of a raw wait status, as Node's 'exit' event gives them. */
export function decodeWaitStatus(status: number): [number | null, NodeJS.Signals | null] {
  const sig = status & 0x7f;
  if (sig === 0) return [(status >> 8) & 0xff, null];
  return [null, SIGNAL_NAMES.get(sig) ?? 'SIGKILL'];
}

/**
 * The built helper, unless `SHIPGATE_SPAWNER=node` asks for Node's spawn: beside this file in
 * dist/run/, or in shipgate's own package's dist/run/ (the CLI bundle and the sources use that one).
 */
export function spawnerPath(): string | undefined {
  if (process.platform !== 'linux' || (process.env.SHIPGATE_SPAWNER ?? '').trim() === 'node') return undefined;
  const root = ownPackage()?.root;
  const candidates = [fileURLToPath(new URL('./shipgate-spawner', import.meta.url)), ...(root ? [join(root, 'dist', 'run', 'shipgate-spawner')] : [])];
  return candidates.find((path) => existsSync(path));
}

function checkNul(what: string, s: string): string {
  if (s.includes('\0')) throw new TypeError(`${what} must not contain a NUL character`);
  return s;
}

/**
 * One helper process. `then` is what it becomes once this process is gone or done with it (its
 * stdin ends): shipgate's watchdog, started only then, so that no second process costs anything
 * while the run runs. `onBroken` is told once when the helper could not start or died.
 */
export class Spawner {
  private readonly proc: ChildProcess;
  private readonly kids = new Map<number, HelperChild>();
  /** Output streams that asked the helper's socket to pause (backpressure), by id. */
  private readonly paused = new Set<number>();
  private buffer = Buffer.alloc(0);
  private nextId = 0;
  private broken = false;

  constructor(path: string, then?: { argv: readonly string[]; env: Record<string, string | undefined> }, onBroken?: (why: string) => void) {
    // Its own session, so a terminal's Ctrl-C goes to shipgate, which decides what stops.
    this.proc = spawn(path, then ? ['--then', ...then.argv] : [], { cwd: '/', env: then?.env ?? {}, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    let said = '';
    let told = false;
    const broke = (why: string): void => {
      this.broken = true;
      if (told) return;
      told = true;
      this.failAll(why);
      onBroken?.(why);
    };
    this.proc.stderr?.on('data', (c: Buffer) => {
      if (said.length < 2000) said += c.toString('utf8');
    });
    this.proc.stdout?.on('data', (c: Buffer) => this.onData(c));
    this.proc.stdin?.on('error', () => {});
    this.proc.on('error', (e) => broke(`could not run (${e.message})`));
    // Not at 'exit': frames it wrote before it ended may still be unread until its socket closes.
    this.proc.on('close', (code, sig) => broke(`ended ${sig ? `by ${sig}` : `with code ${code}`}${said.trim() ? ` (${said.trim()})` : ''}`));
    // libuv reports a failed exec (no such file, not executable) at once, without a pid: then no
    // command is ever sent to it, and Node's spawn starts them all. (A file that is no program runs
    // through /bin/sh and ends at once: the commands sent to it fail, and it is given up.)
    if (this.proc.pid === undefined) this.broken = true;
    this.proc.unref();
    for (const s of [this.proc.stdin, this.proc.stdout, this.proc.stderr]) (s as { unref?: () => void } | null)?.unref?.();
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** False once the helper could not start or died: Node's spawn from then on. */
  get usable(): boolean {
    return !this.broken;
  }

  /** Let it go (it becomes the watchdog, if it was given one, or ends). */
  close(): void {
    this.proc.stdin?.destroy();
  }

  /**
   * Start `file args` in `cgroupDir` (its own session and process group, stdin /dev/null, stdout
   * and stderr into `stdout`). Throws, like Node's spawn, on arguments that cannot be passed.
   */
  spawn(cgroupDir: string, file: string, args: readonly string[], opts: { cwd: string; env: Record<string, string | undefined> }): HelperChild {
    const env = Object.entries(opts.env)
      .filter((e): e is [string, string] => e[1] !== undefined)
      .map(([k, v]) => checkNul('an environment variable', `${k}=${v}`));
    const strings = [cgroupDir, resolve(opts.cwd), file, String(args.length + 1), file, ...args, String(env.length), ...env].map((s) => checkNul('an argument', s));
    const payload = Buffer.from(`${strings.join('\0')}\0`, 'utf8');
    const id = (this.nextId = (this.nextId + 1) >>> 0);
    const kid = new HelperChild(id);
    this.kids.set(id, kid);
    (this.proc.stdout as { ref?: () => void } | null)?.ref?.();
    const head = Buffer.alloc(FRAME_HEAD);
    head.write('S', 0, 'latin1');
    head.writeUInt32LE(id, 1);
    head.writeUInt32LE(payload.length, 5);
    this.proc.stdin?.write(Buffer.concat([head, payload]));
    return kid;
  }

  private failAll(why: string): void {
    for (const kid of this.kids.values()) {
      kid.settle();
      if (!kid.done) {
        kid.done = true;
        kid.emit('error', new Error(`shipgate-spawner ${why} before the command ended, so its exit status is unknown`));
      }
      kid.stdout.end();
    }
    this.kids.clear();
  }

  private onFrame(type: number, id: number, data: Buffer): void {
    const kid = this.kids.get(id);
    if (!kid) return;
    switch (String.fromCharCode(type)) {
      case 'P':
        kid.pid = data.readUInt32LE(0);
        kid.settle();
        break;
      case 'E':
        kid.done = true;
        kid.settle();
        kid.stdout.end();
        this.kids.delete(id);
        kid.emit('error', new Error(data.toString('utf8')));
        break;
      case 'O':
        if (!kid.stdout.destroyed && !kid.stdout.write(data)) {
          // A slow reader: hold every command's output in its pipe (the helper blocks) until this one drains.
          this.paused.add(id);
          this.proc.stdout?.pause();
          kid.stdout.once('drain', () => {
            this.paused.delete(id);
            if (this.paused.size === 0) this.proc.stdout?.resume();
          });
        }
        break;
      case 'C':
        kid.stdout.end();
        if (kid.done) this.kids.delete(id);
        break;
      case 'X': {
        kid.done = true;
        const [code, sig] = decodeWaitStatus(data.readUInt32LE(0));
        if (kid.stdout.writableEnded) this.kids.delete(id);
        kid.emit('exit', code, sig);
        break;
      }
    }
    // Nothing pending: the helper must not keep shipgate's event loop alive.
    if (this.kids.size === 0) (this.proc.stdout as { unref?: () => void } | null)?.unref?.();
  }

  private onData(chunk: Buffer): void {
    let buf = this.buffer.length > 0 ? Buffer.concat([this.buffer, chunk]) : chunk;
    let off = 0;
    while (buf.length - off >= FRAME_HEAD) {
      const len = buf.readUInt32LE(off + 5);
      if (buf.length - off - FRAME_HEAD < len) break;
      this.onFrame(buf[off]!, buf.readUInt32LE(off + 1), buf.subarray(off + FRAME_HEAD, off + FRAME_HEAD + len));
      off += FRAME_HEAD + len;
    }
    buf = buf.subarray(off);
    // Keep only the partial frame (a copy: the chunk it came from is not ours to hold).
    this.buffer = buf.length > 0 ? Buffer.from(buf) : Buffer.alloc(0);
  }
}

/**
 * Writing a file the user asked for (`--report`, `notes --out`, `baseline export --out`, the run's
 * decision.json) so that it lands where it was asked, whole, or fails fast and says why:
 *
 * - written to a temporary file beside it and renamed, so a reader never sees half of it;
 * - a symlink is written *through*: the link stays, the regular file it points at is replaced
 *   (replacing the link itself would silently redirect the next reader);
 * - a device, a FIFO, a socket or a directory is never replaced nor written into (`/dev/null`
 *   stays a device; writing to a FIFO could block forever);
 * - the kernel's own file systems (`/proc`, `/sys`) are refused at once — creating folders there
 *   does not fail cleanly, it can spin — and every write is bounded in time.
 */
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { dirname, resolve } from 'node:path';
import { ShipgateError } from '../errors.js';

/** A write to a local disk that takes longer than this is stuck, not slow. */
const WRITE_TIMEOUT_MS = 10_000;

export class OutputError extends ShipgateError {
  constructor(message: string, hint: string, cause?: unknown) {
    super('OUTPUT_UNWRITABLE', message, { hint, cause });
  }
}

function kernelFs(path: string): boolean {
  return /^\/(proc|sys)(\/|$)/.test(path);
}

/**
 * Whether `abs`, or where it really leads, is on a kernel file system: a folder that is a symlink
 * into /proc (`ln -s /proc/self/fd x`) must be refused as surely as /proc itself — a recursive
 * mkdir there never ends. The deepest part of the path that exists is resolved.
 */
async function onKernelFs(abs: string): Promise<boolean> {
  if (kernelFs(abs)) return true;
  for (let at = abs; ; at = dirname(at)) {
    try {
      return kernelFs(await realpath(at));
    } catch {
      if (dirname(at) === at) return false;
    }
  }
}

/** A file is never written on a kernel file system (see onKernelFs). */
async function refuseKernelFs(abs: string): Promise<void> {
  if (await onKernelFs(abs)) throw new OutputError(`${abs} is on a kernel file system (/proc or /sys), not a place for a file`, 'give a path on a disk');
}

function describeKind(st: { isDirectory(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Where the bytes really go: the path itself, or the regular file a symlink points at. */
async function target(path: string): Promise<string> {
  let st;
  try {
    st = await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return path;
    throw e;
  }
  if (st.isSymbolicLink()) {
    let real: string;
    try {
      real = await realpath(path);
    } catch {
      throw new OutputError(`${path} is a symlink to nothing`, 'point it at a regular file, or remove it');
    }
    if (kernelFs(real)) throw new OutputError(`${path} is a symlink into ${real.split('/')[1] === 'proc' ? '/proc' : '/sys'}`, 'write to a regular file');
    const to = await stat(real);
    if (!to.isFile()) throw new OutputError(`${path} is a symlink to ${describeKind(to)} (${real}); it is not replaced`, 'write to a regular file');
    return real;
  }
  if (!st.isFile()) throw new OutputError(`${path} is ${describeKind(st)}; it is not replaced`, 'give the path of a regular file');
  return path;
}

async function write(path: string, text: string): Promise<void> {
  const abs = resolve(path);
  await refuseKernelFs(abs);
  const dest = await target(abs);
  await mkdir(dirname(dest), { recursive: true });
  const tmp = `${dest}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(tmp, text, { flag: 'wx' });
    await rename(tmp, dest);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

/** Write `text` to `path` safely (see the module comment). Throws OutputError (OUTPUT_UNWRITABLE) naming the path and the reason. */
export async function safeWriteFile(path: string, text: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OutputError(`writing ${path} did not finish within ${WRITE_TIMEOUT_MS / 1000} s`, 'check the disk or network file system behind the path')), WRITE_TIMEOUT_MS);
    timer.unref();
  });
  try {
    await Promise.race([write(path, text), timeout]);
  } catch (e) {
    if (e instanceof OutputError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new OutputError(`cannot write ${path}: ${errnoReason(err)}`, 'give a path you can write to', e);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/**
 * Write a stream of chunks to `path` as safeWriteFile writes text (temporary file, then renamed;
 * symlinks written through; devices refused), through `transform` when given (gzip). For output
 * too big to hold in memory (`history export`). An error from `chunks` itself is rethrown as it
 * is, and the temporary file is removed: the path keeps what it had.
 */
export async function safeWriteStream(path: string, chunks: AsyncIterable<string | Buffer>, transform?: Transform): Promise<void> {
  const abs = resolve(path);
  let tmp: string | undefined;
  let sourceError: unknown;
  async function* source(): AsyncGenerator<string | Buffer> {
    try {
      yield* chunks;
    } catch (e) {
      sourceError = e;
      throw e;
    }
  }
  try {
    await refuseKernelFs(abs);
    const dest = await target(abs);
    await mkdir(dirname(dest), { recursive: true });
    tmp = `${dest}.${process.pid}.${Date.now()}.tmp`;
    const out = createWriteStream(tmp, { flags: 'wx' });
    await (transform ? pipeline(Readable.from(source()), transform, out) : pipeline(Readable.from(source()), out));
    await rename(tmp, dest);
  } catch (e) {
    if (tmp) await rm(tmp, { force: true }).catch(() => undefined);
    if (sourceError !== undefined) throw sourceError;
    if (e instanceof OutputError) throw e;
    throw new OutputError(`cannot write ${path}: ${errnoReason(e as NodeJS.ErrnoException)}`, 'give a path you can write to', e);
  }
}

function errnoReason(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOSPC':
      return 'the disk is full';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    default:
      return err.message;
  }
}

/**
 * Create a folder (and its parents) or say why not. A recursive mkdir can report ENOENT for what is
 * a read-only or full disk underneath; the first missing folder is then created on its own to learn
 * the real reason.
 */
export async function makeDir(path: string, what: string): Promise<void> {
  const abs = resolve(path);
  if (await onKernelFs(abs)) throw new OutputError(`${what} ${abs} is on a kernel file system (/proc or /sys)`, 'give a path on a disk');
  try {
    await mkdir(abs, { recursive: true });
    return;
  } catch (e) {
    let err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') {
      let missing = abs;
      while (dirname(missing) !== missing && !(await stat(dirname(missing)).then(() => true, () => false))) missing = dirname(missing);
      err = await mkdir(missing).then(() => err, (e2: NodeJS.ErrnoException) => e2);
    }
    throw new OutputError(`cannot create ${what} ${abs}: ${errnoReason(err)}`, 'make the folder writable (or free space on its disk), then run again', e);
  }
}

/**
 * Starting the CLI bundle with V8's code cache.
 *
 * The CLI ships as one CommonJS bundle (dist/cli/shipgate.cjs, made by scripts/bundle.mjs) and a
 * code cache beside it: the bytecode V8 made for it in a warm-up run at build time. Parsing and
 * compiling about 1.7 MB of JavaScript was most of what `shipgate validate` cost over a bare
 * `node -e 0`; deserialising the cache costs a fraction of that. Node 20 has no compile cache for
 * ES modules (module.enableCompileCache came in 22), so the bundle is compiled through node:vm.
 *
 * The cache is an optimisation and never a source of truth:
 *  - V8 checks it against its own version and flags, and its source check is only the length. So
 *    the cache starts with a fingerprint of the bundle it was made from (its length and CRC-32); a
 *    bundle edited in place (patch-package, a debugging session) is compiled afresh, even when its
 *    length is the same. CRC-32 and not a cryptographic digest: it tells any edit of a few bytes
 *    (every burst of up to 32 bits) and almost surely any other, and it is no defence against
 *    anyone who can write the install folder, who could rewrite the cache as well. node:crypto
 *    took 11 ms of every command to load and hash; zlib's crc32 takes 5.
 *  - A missing, short, foreign or corrupt cache is compiled afresh; V8 rejects what it cannot use.
 *  - It is only read here, never written at run time (the install folder may be read-only and is
 *    shared); scripts/bundle.mjs writes it, atomically.
 */
import { isAscii } from 'node:buffer';
import { closeSync, constants, fstatSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';
import { crc32 } from 'node:zlib';
import { IMPORT_HOOK } from '../util/import-module.js';

/** What became of the cache: used, or why the bundle was compiled without it. */
export type CacheStatus = 'used' | 'missing' | 'stale' | 'rejected';

/** The cache's header: a tag for this layout, then the bundle's length and CRC-32 (both uint32 LE). */
const HEADER_TAG = Buffer.from('sgc1');
const HEADER_BYTES = HEADER_TAG.length + 8;
/** The wrapper CommonJS gives a module; the bundle is written for it (esbuild's cjs format). */
const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
const WRAP_TAIL = '\n});';

export function cachePathOf(bundle: string): string {
  return `${bundle}.cache`;
}

/** The header a cache made from `source` starts with. */
export function fingerprintOf(source: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  HEADER_TAG.copy(header);
  header.writeUInt32LE(source.length >>> 0, HEADER_TAG.length);
  header.writeUInt32LE(crc32(source), HEADER_TAG.length + 4);
  return header;
}

/** The cache's bytes; nothing for anything but a readable regular file (a FIFO would block the read forever). */
function readCache(path: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    return fstatSync(fd).isFile() ? readFileSync(fd) : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

interface Compiled {
  script: Script;
  status: CacheStatus;
  /** The bytes compiled: what a cache written from this script must be checked against. */
  bytes: Buffer;
}

/** The script V8 compiles for a bundle's bytes. */
export function wrapSource(bytes: Buffer): string {
  // esbuild writes ASCII only (non-ASCII is escaped), and latin1 is then exact and cheaper; a
  // bundle edited by hand may hold UTF-8, which Node's own loader would read as such.
  const text = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  return WRAP_HEAD + text.replace(/^#!.*/, '') + WRAP_TAIL;
}

/**
 * The V8 flags the CLI runs with, set before the bundle is compiled (V8 checks a cache against the
 * flags it was made with, so the build's warm-up sets the same).
 *
 * `--no-sparkplug`: V8's baseline compiler makes warm code a little faster, and hands hot code to
 * the optimising compiler sooner, whose jobs run on background threads. A process that exits while
 * such a job runs waits for it: about 6 ms of a 120 ms `validate`, the largest single cost found
 * after the cache. Without it a short command exits at once; a long run loses little (parsing a
 * 300,000-test JUnit report took 3 % longer, and the optimising compiler still takes the hot loops).
 * Set before any code of the bundle has run; the flag is only read when code tiers up.
 */
export const CLI_V8_FLAGS = '--no-sparkplug';

function compile(bundle: string): Compiled {
  setFlagsFromString(CLI_V8_FLAGS);
  const bytes = readFileSync(bundle);
  const source = wrapSource(bytes);
  const cache = readCache(cachePathOf(bundle));
  let status: CacheStatus = 'missing';
  let cachedData: Buffer | undefined;
  if (cache) {
    if (cache.length > HEADER_BYTES && cache.subarray(0, HEADER_BYTES).equals(fingerprintOf(bytes))) cachedData = cache.subarray(HEADER_BYTES);
    else status = 'stale';
  }
  const script = new Script(source, { filename: bundle, ...(cachedData ? { cachedData } : {}) });
  if (cachedData) status = script.cachedDataRejected ? 'rejected' : 'used';
  return { script, status, bytes };
}

/** Whether `bundle`'s cache would be used by this Node, without running the bundle. */
export function cacheStatus(bundle: string): CacheStatus {
  return compile(bundle).status;
}

export interface StartOptions {
  /** Build time only: once the process exits, write the cache of everything it compiled. */
  writeCache?: boolean;
}

/**
 * Run `bundle` as the main program. `importer` is the caller's own import(), for the few real ES
 * module imports the bundle makes (see util/import-module.ts).
 */
export function startBundle(bundle: string | URL, importer: (specifier: string) => Promise<unknown>, opts: StartOptions = {}): CacheStatus {
  const file = typeof bundle === 'string' ? bundle : fileURLToPath(bundle);
  const { script, status, bytes } = compile(file);
  (globalThis as Record<symbol, unknown>)[IMPORT_HOOK] = importer;
  if (opts.writeCache) {
    // At exit the cache holds every function the run compiled, not only the top level.
    process.once('exit', () => {
      const tmp = `${cachePathOf(file)}.${process.pid}.tmp`;
      // The fingerprint of the bytes that were compiled, not of the file now: it may have changed since.
      writeFileSync(tmp, Buffer.concat([fingerprintOf(bytes), script.createCachedData()]));
      renameSync(tmp, cachePathOf(file));
    });
  }
  const wrapper = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  const module = { exports: {}, filename: file, id: '.', loaded: false };
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return status;
}

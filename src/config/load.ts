/**
 * read → parse → validate → normalise. Every mistake is collected with its `file:line:col` and
 * thrown as one ConfigError; nothing downstream ever sees a half-valid config.
 */
import { closeSync, constants, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { importModule } from '../util/import-module.js';
import { schemaIssues } from './issues.js';
import { fileLocator, formatPath, pathAt, yamlLocator, type Locator } from './locate.js';
import { normalizeConfig } from './normalize.js';
import { checkRules } from './rules.js';
import { configSchema, type UserConfig } from './schema.js';
import type { Config } from './types.js';

export const DEFAULT_CONFIG_FILES = ['shipgate.yml', 'shipgate.yaml', 'shipgate.config.mjs', 'shipgate.config.js', 'shipgate.config.ts'];

/** Refuse absurd files before parsing: a config is a few KB. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** What `-c -` and `-c /dev/stdin` name: the configuration on standard input. */
export const STDIN_CONFIG = '/dev/stdin';

/**
 * The configuration file: `-c PATH`, else the first of DEFAULT_CONFIG_FILES in `cwd` or, inside a
 * git repository, in the nearest folder above it up to the repository's root (the folder holding
 * `.git`), so shipgate works from any subfolder. Outside a repository only `cwd` is looked at: a
 * stray shipgate.yml in a home or temp folder is never picked up.
 */
export function findConfigFile(cwd: string, explicit?: string): string {
  if (explicit === '-' || explicit === STDIN_CONFIG) return STDIN_CONFIG;
  if (explicit) {
    const file = resolve(cwd, explicit);
    if (!existsSync(file)) {
      throw new ConfigError([{ code: 'CONFIG_NOT_FOUND', message: `configuration file not found: ${file}`, path: '', hint: 'check the path given to -c/--config' }]);
    }
    return file;
  }
  const start = resolve(cwd);
  const dirs = [start];
  let root: string | undefined;
  for (let dir = start; ; ) {
    if (existsSync(resolve(dir, '.git'))) {
      root = dir;
      break;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dirs.push(up);
    dir = up;
  }
  for (const dir of root ? dirs : [start]) {
    for (const name of DEFAULT_CONFIG_FILES) {
      const file = resolve(dir, name);
      if (existsSync(file)) return file;
    }
  }
  throw new ConfigError([
    {
      code: 'CONFIG_NOT_FOUND',
      message: root && root !== start ? `no shipgate.yml in ${cwd} nor in any folder above it up to the repository root ${root}` : `no shipgate.yml in ${cwd}`,
      path: '',
      hint: 'create one with `shipgate init` (or see the README quickstart), or pass -c PATH',
    },
  ]);
}

interface Parsed {
  value: unknown;
  locator: Locator;
  issues: ConfigIssue[];
}

/**
 * Keys that appear twice in one mapping, in linear time. The YAML library's own check
 * (`uniqueKeys`) compares every key with every earlier one — 100,000 gates took minutes — so it is
 * off and this walk does the same job with a set per mapping.
 */
function duplicateKeys(doc: Document, file: string, lines: LineCounter, locator: Locator): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const stack: { node: unknown; path: (string | number)[] }[] = [{ node: doc.contents, path: [] }];
  while (stack.length) {
    const { node, path } = stack.pop()!;
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key !== undefined) {
          if (seen.has(key)) {
            const at = (pair.key as { range?: [number, number, number] }).range?.[0];
            const pos = at === undefined ? undefined : lines.linePos(at);
            issues.push({
              code: 'CONFIG_DUPLICATE_KEY',
              message: 'duplicate key: the same key appears twice in one mapping',
              path: formatPath([...path, key]),
              location: pos ? { file, line: pos.line, col: pos.col } : locator.key([...path, key]),
              hint: 'remove or rename one of them; YAML keeps only one',
            });
          }
          seen.add(key);
        }
        stack.push({ node: pair.value, path: key === undefined ? path : [...path, key] });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => stack.push({ node: item, path: [...path, i] }));
    }
  }
  return issues.reverse();
}

function parseYaml(file: string, text: string): Parsed {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false, strict: true });
  const issues: ConfigIssue[] = [];
  const locator = yamlLocator(file, doc, lines);
  for (const err of [...doc.errors, ...doc.warnings]) {
    const pos = err.linePos?.[0] ?? lines.linePos(err.pos[0]);
    const duplicate = err.code === 'DUPLICATE_KEY';
    const path = pathAt(doc, err.pos[0]);
    const message = duplicate ? 'duplicate key: the same key appears twice in one mapping' : err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    // An unclosed [ or { is noticed where the file ends; the place to fix is where it was opened.
    const unclosed = /^Flow (sequence|map)/.test(message) && typeof path[path.length - 1] === 'number';
    const location = unclosed ? locator.value(path.slice(0, -1)) : { file, line: pos.line, col: pos.col };
    issues.push({
      code: duplicate ? 'CONFIG_DUPLICATE_KEY' : 'CONFIG_YAML',
      message,
      path: formatPath(unclosed ? path.slice(0, -1) : path),
      location,
      hint: duplicate
        ? 'remove or rename one of them; YAML keeps only one'
        : 'check the indentation (spaces, not tabs) and that every quote and bracket is closed',
    });
  }
  if (issues.length === 0) issues.push(...duplicateKeys(doc, file, lines, locator));
  if (issues.length) return { value: undefined, locator, issues };
  try {
    return { value: doc.toJS({ maxAliasCount: 100 }), locator, issues };
  } catch (e) {
    // A "billion laughs" of aliases, or an alias to nothing: refuse it rather than expand it.
    const message = (e as Error).message;
    return {
      value: undefined,
      locator,
      issues: [{ code: 'CONFIG_YAML', message: `cannot expand the YAML: ${message}`, path: '', location: { file, line: 1, col: 1 }, hint: 'use fewer aliases (*name); at most 100 are expanded' }],
    };
  }
}

async function parseModule(file: string): Promise<Parsed> {
  let mod: { default?: unknown };
  try {
    if (extname(file) === '.ts') {
      // TypeScript configs need a loader; tsx is used when the project has it installed.
      const { tsImport } = (await importModule('tsx/esm/api')) as { tsImport: (f: string, p: string) => Promise<{ default?: unknown }> };
      mod = await tsImport(pathToFileURL(file).href, import.meta.url);
    } else {
      mod = (await importModule(pathToFileURL(file).href)) as { default?: unknown };
    }
  } catch (e) {
    return {
      value: undefined,
      locator: fileLocator(file),
      issues: [{ code: 'CONFIG_MODULE', message: `cannot load ${file}: ${(e as Error).message}`, path: '', location: { file }, hint: extname(file) === '.ts' ? 'a shipgate.config.ts needs `tsx` installed; or use shipgate.config.mjs' : undefined }],
    };
  }
  const value = (mod.default as { default?: unknown } | undefined)?.default ?? mod.default;
  return { value, locator: fileLocator(file), issues: [] };
}

/** Validate an already-parsed value (from YAML or a config module). */
export function validateConfig(value: unknown, file: string, locator: Locator, hash: string, rootDir?: string): Config {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError([
      { code: 'CONFIG_TYPE', message: 'the configuration must be a mapping with at least `gates:`', path: '', location: { file, line: 1, col: 1 } },
    ]);
  }
  // Shape and cross-field rules in one pass: every mistake in the file is reported at once.
  const result = configSchema.safeParse(value, { jitless: true });
  const issues = [...(result.success ? [] : schemaIssues(result.error.issues, value, configSchema, locator)), ...checkRules(value, locator)];
  if (issues.length || !result.success) throw new ConfigError(dedupe(issues));
  return normalizeConfig(result.data as UserConfig, file, hash, rootDir);
}

/** The same problem found by the schema and by a rule (a custom refinement) is listed once, in file order. */
function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  const out = issues.filter((i) => {
    const key = `${i.code}\u0000${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const line = (i: ConfigIssue) => i.location?.line ?? Number.MAX_SAFE_INTEGER;
  const col = (i: ConfigIssue) => i.location?.col ?? 0;
  return out.sort((a, b) => line(a) - line(b) || col(a) - col(b));
}

/**
 * The file's bytes, never more than one past the limit (`-c /dev/zero` must not read forever), and
 * whether it is a regular file: a pipe or device (`-c /dev/stdin`, `-c <(…)`) has no folder of its own.
 */
async function readBounded(file: string): Promise<{ bytes: Buffer; regular: boolean; size?: number }> {
  // Standard input is read from the stream: when it is a socket (as a parent process's pipe often
  // is), opening /dev/stdin fails with ENXIO.
  if (file === STDIN_CONFIG) return { bytes: await readStream(process.stdin, (s) => s.pause()), regular: false };
  // Opened without blocking: opening a FIFO nobody writes would block, and a thread blocked in
  // open() or read() keeps even process.exit() from ending shipgate (it waits for the thread).
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  let handed = false;
  try {
    const st = fstatSync(fd);
    // A regular file is read at once (the usual case: this is most of a `validate`).
    if (st.isFile()) return readRegular(fd, file, st.size);
    // A FIFO is waited on by the event loop, so a signal ends shipgate while no writer comes.
    if (st.isFIFO()) {
      handed = true;
      // (node:net loads here, not with every command.)
      const { Socket } = process.getBuiltinModule('node:net');
      return { bytes: await readStream(new Socket({ fd, readable: true, writable: false }), (s) => s.destroy()), regular: false };
    }
  } finally {
    if (!handed) closeSync(fd);
  }
  // Anything else (a device) is read in chunks, bounded. (fs/promises loads here, not with every command.)
  const { open } = await import('node:fs/promises');
  const fh = await open(file, 'r');
  try {
    const st = await fh.stat();
    // /dev/fd/3 or /proc/self/fd/0 may be a regular file, but its folder is no project's.
    const regular = st.isFile() && !/^\/(dev|proc)\//.test(file);
    const size = st.isFile() ? st.size : undefined;
    const chunks: Buffer[] = [];
    let total = 0;
    while (total <= MAX_CONFIG_BYTES) {
      const buf = Buffer.allocUnsafe(Math.min(1 << 20, MAX_CONFIG_BYTES + 1 - total));
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      chunks.push(buf.subarray(0, bytesRead));
      total += bytesRead;
    }
    return { bytes: Buffer.concat(chunks), regular, size };
  } finally {
    await fh.close();
  }
}

function readRegular(fd: number, file: string, size: number): { bytes: Buffer; regular: boolean; size: number } {
  // /dev/fd/3 or /proc/self/fd/0 may be a regular file, but its folder is no project's.
  const regular = !/^\/(dev|proc)\//.test(file);
  // The size is a hint only: a file may grow while it is read, and a /proc file says 0. Read to
  // the end, or one byte past the limit (which tells a file too large from one that fits exactly).
  const chunks: Buffer[] = [];
  let total = 0;
  while (total <= MAX_CONFIG_BYTES) {
    const buf = Buffer.allocUnsafe(Math.min(Math.max(size + 1, 64 * 1024), MAX_CONFIG_BYTES + 1 - total));
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    chunks.push(buf.subarray(0, n));
    total += n;
  }
  return { bytes: Buffer.concat(chunks), regular, size };
}

/** A stream's bytes up to one past the limit; `release` is told once it is done with (pause stdin, close a FIFO). */
function readStream<S extends Readable>(stream: S, release: (s: S) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const finish = (error?: Error): void => {
      stream.off('data', onData);
      stream.off('end', finish);
      stream.off('error', finish);
      release(stream);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks));
    };
    const onData = (c: Buffer): void => {
      chunks.push(c);
      total += c.length;
      if (total > MAX_CONFIG_BYTES) finish();
    };
    stream.on('data', onData);
    stream.once('end', finish);
    stream.once('error', finish);
  });
}

export async function loadConfig(opts: { cwd?: string; file?: string } = {}): Promise<Config> {
  const cwd = opts.cwd ?? process.cwd();
  const file = findConfigFile(cwd, opts.file);
  let read: Awaited<ReturnType<typeof readBounded>>;
  try {
    read = await readBounded(file);
  } catch (e) {
    throw new ConfigError([{ code: 'CONFIG_UNREADABLE', message: `cannot read ${file}: ${(e as Error).message}`, path: '', location: { file } }]);
  }
  const { bytes } = read;
  if (bytes.length > MAX_CONFIG_BYTES) {
    throw new ConfigError([
      {
        code: 'CONFIG_TOO_LARGE',
        message: read.size !== undefined && read.size > MAX_CONFIG_BYTES ? `${file} is ${read.size} bytes; a configuration is at most 4 MiB` : `${file} gave more than 4 MiB; a configuration is at most 4 MiB`,
        path: '',
        location: { file },
      },
    ]);
  }
  const isModule = /\.(mjs|js|ts)$/.test(file);
  const parsed = isModule ? await parseModule(file) : parseYaml(file, bytes.toString('utf8'));
  if (parsed.issues.length) throw new ConfigError(parsed.issues);
  // A configuration read from a pipe or device belongs to the folder shipgate runs in, not to /dev.
  const config = validateConfig(parsed.value, file, parsed.locator, '', read.regular ? undefined : resolve(cwd));
  return withLazyHash(config, bytes);
}

/**
 * The config's digest, of the bytes read, computed when first asked for: only a run records it,
 * and node:crypto is then loaded, not for every `validate`, `plan` or `history`.
 */
function withLazyHash(config: Config, bytes: Buffer): Config {
  let hash: string | undefined;
  Object.defineProperty(config, 'hash', {
    enumerable: true,
    configurable: true,
    get: () => (hash ??= process.getBuiltinModule('node:crypto').createHash('sha256').update(bytes).digest('hex')),
    // Still a plain field for a library caller that sets its own.
    set: (value: string) => {
      hash = value;
    },
  });
  return config;
}

/** Typed identity for `shipgate.config.{ts,mjs}`: editors complete and check the object. */
export function defineConfig(config: UserConfig): UserConfig {
  return config;
}

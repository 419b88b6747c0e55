/**
 * What reporters that write outside the terminal share: the context they are created with, and
 * appending to a file the CI owns (`$GITHUB_STEP_SUMMARY`, `$GITHUB_OUTPUT`) with the same safety
 * as every file shipgate writes (never onto a device, never through a symlink to one).
 */
import { lstat, readFile, stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { OutputError, safeWriteFile } from '../run/safe-write.js';

export interface SinkContext {
  env: NodeJS.ProcessEnv;
  /** The project's root (the config's folder): default report files go to `.shipgate/reports/` there. */
  rootDir: string;
  /** Where CI logging commands go (stdout; stderr when stdout carries `--json`). */
  commands: Writable;
  /** A remark that is not a failure (a CI tool missing, a variable unset). */
  warn(message: string): void;
}

/** Bytes a file already holds (0 when it does not exist yet). */
export async function fileSize(path: string): Promise<number> {
  try {
    const st = await stat(path);
    return st.isFile() ? st.size : 0;
  } catch {
    return 0;
  }
}

/** Add text at the end of a regular file (created when missing), written whole (see safe-write.ts). */
export async function appendFileSafe(path: string, text: string): Promise<void> {
  let existing = '';
  try {
    const st = await lstat(path);
    if (st.isFile() || st.isSymbolicLink()) {
      const real = await stat(path);
      if (!real.isFile()) throw new OutputError(`${path} is not a regular file; nothing is appended to it`, 'point the variable at a regular file');
      if (real.size > 64 * 1024 * 1024) throw new OutputError(`${path} is ${real.size} bytes; shipgate does not append to files over 64 MiB`, 'give a fresh file');
      existing = await readFile(path, 'utf8');
    }
  } catch (e) {
    if (e instanceof OutputError) throw e;
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new OutputError(`cannot read ${path}: ${(e as Error).message}`, 'give a path you can write to', e);
  }
  await safeWriteFile(path, existing + text);
}

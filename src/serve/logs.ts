/**
 * A run's log files, served from its run folder when that folder is on this machine. Nothing of a
 * request becomes a path: the run id and file name must be plain names (no separator, no `..`),
 * the file must be a `.log` that a listing of the folder returned, and its real path (symlinks
 * resolved) must lie inside the real runs folder.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';

export interface RunLog {
  name: string;
  bytes: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
const LOG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}\.log$/;

function inside(dir: string, path: string): boolean {
  return path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

async function runFolder(runsDir: string, runId: string): Promise<{ root: string; folder: string } | undefined> {
  if (!NAME.test(runId) || runId.includes('..')) return undefined;
  try {
    const root = await realpath(runsDir);
    const folder = await realpath(join(root, runId));
    return inside(root, folder) ? { root, folder } : undefined;
  } catch {
    return undefined; // no run folder here: the run was recorded on another machine
  }
}

export async function listRunLogs(runsDir: string, runId: string): Promise<RunLog[]> {
  const where = await runFolder(runsDir, runId);
  if (!where) return [];
  const out: RunLog[] = [];
  for (const e of await readdir(where.folder, { withFileTypes: true }).catch(() => [])) {
    if (!e.isFile() || !LOG.test(e.name) || e.name.includes('..')) continue;
    const s = await stat(join(where.folder, e.name)).catch(() => undefined);
    if (s) out.push({ name: e.name, bytes: s.size });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** The log as a stream, or undefined (→ 404) for anything that is not one of the run's logs. */
export async function openRunLog(runsDir: string, runId: string, name: string): Promise<{ stream: ReadStream; bytes: number } | undefined> {
  if (!LOG.test(name) || name.includes('..')) return undefined;
  const where = await runFolder(runsDir, runId);
  if (!where) return undefined;
  const listed = await listRunLogs(runsDir, runId);
  if (!listed.some((l) => l.name === name)) return undefined;
  try {
    const real = await realpath(join(where.folder, name));
    if (!inside(where.root, real)) return undefined;
    const s = await stat(real);
    if (!s.isFile()) return undefined;
    return { stream: createReadStream(real), bytes: s.size };
  } catch {
    return undefined;
  }
}

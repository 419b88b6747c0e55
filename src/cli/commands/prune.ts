/** `shipgate prune --older-than 90d`: retention for the history store (and the run folders' logs here). */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit.js';
import { json, withStore } from './common.js';

const UNIT_MS = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;

/** `90d`, `12w`, `36h` → milliseconds. */
export function parseAge(value: string | undefined): number {
  const m = /^(\d{1,6})([hdw])$/.exec(value ?? '');
  if (!m || Number(m[1]) < 1) throw new UsageError(`--older-than ${value ?? '(missing)'}: expected an age such as 90d, 12w or 36h`, 'for example: shipgate prune --older-than 90d');
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** The `.log` files of pruned runs' folders on this machine; decision.json and the rest stay. */
async function removeLogs(runsDir: string, runIds: readonly string[]): Promise<number> {
  let n = 0;
  for (const id of runIds) {
    if (!RUN_ID.test(id) || id.includes('..')) continue;
    const dir = join(runsDir, id);
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (!e.isFile() || !e.name.endsWith('.log')) continue;
      await rm(join(dir, e.name), { force: true });
      n++;
    }
  }
  return n;
}

export async function pruneCommand(flags: { config?: string; olderThan?: string; keepLastGood?: boolean; json?: boolean }, ctx: CliContext): Promise<number> {
  const age = parseAge(flags.olderThan);
  return withStore(flags, ctx, async (config, store) => {
    const before = new Date(Date.now() - age).toISOString();
    const bytesBefore = await store.storeSize();
    const res = await store.prune({ project: config.name, before, keepLastGood: flags.keepLastGood === true });
    const logFiles = await removeLogs(join(config.rootDir, '.shipgate', 'runs'), res.runIds);
    const bytesAfter = await store.storeSize();
    if (flags.json) {
      json(ctx, { project: config.name, before, ...res, logFiles, bytesBefore, bytesAfter });
      return EXIT.READY;
    }
    ctx.stdout.write(
      `Pruned ${res.runs} run(s) of ${config.name} started before ${before.slice(0, 10)}: ${res.testLogs} test logs, ${res.testRows} test rows, ${res.findings} findings, ${logFiles} log files` +
        `${flags.keepLastGood ? `; kept ${res.kept} last-good run(s)` : ''}. Decisions, durations and metrics stay.\n`,
    );
    return EXIT.READY;
  });
}

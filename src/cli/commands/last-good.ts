import { UsageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { printable } from '../../util/printable.js';
import { EXIT } from '../exit.js';
import { json, withStore } from './common.js';

export async function lastGoodCommand(flags: { config?: string; branch?: string; json?: boolean }, ctx: CliContext): Promise<number> {
  return withStore(flags, ctx, async (config, store) => {
    const run = await store.lastGood(config.name, { branch: flags.branch });
    if (!run) {
      throw new UsageError(`no READY run recorded for ${config.name}${flags.branch ? ` on ${flags.branch}` : ''}`, 'a run that ends RELEASE READY becomes the last good one');
    }
    if (flags.json) json(ctx, { project: config.name, runId: run.id, version: run.version, commit: run.commit, branch: run.branch, at: run.startedAt });
    else ctx.stdout.write(`${printable(run.version)} ${run.commit ?? '-'} (run ${run.id}, ${printable(run.branch ?? '-')}, ${run.startedAt})\n`);
    return EXIT.READY;
  });
}

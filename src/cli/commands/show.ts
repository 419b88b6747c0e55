import { UsageError } from '../../errors.js';
import { formatDiagnostics, formatSummary } from '../../report/summary.js';
import { useColor, type CliContext } from '../context.js';
import { EXIT } from '../exit.js';
import { json, short, withStore } from './common.js';

export async function showCommand(runId: string, flags: { config?: string; json?: boolean }, ctx: CliContext): Promise<number> {
  return withStore(flags, ctx, async (config, store) => {
    const run = await store.getRun(config.name, runId);
    if (!run) throw new UsageError(`no run ${runId} in the history of ${config.name}`, 'list runs with `shipgate history`');
    if (flags.json) {
      json(ctx, run);
      return EXIT.READY;
    }
    if (!run.decision) {
      ctx.stdout.write(
        `Run ${run.id}: ${run.version} @ ${short(run.commit)} on ${run.branch ?? '-'} started ${run.startedAt} — ${run.state}; no decision was recorded.\n`,
      );
      return EXIT.READY;
    }
    const color = useColor(ctx.stdout, ctx.env);
    ctx.stdout.write(`${formatSummary(run.decision, { color })}\n${formatDiagnostics(run.decision, { color })}\n`);
    return EXIT.READY;
  });
}

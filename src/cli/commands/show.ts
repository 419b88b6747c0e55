import { UsageError } from '../../errors.js';
import { formatDiagnostics, formatSummary } from '../../report/summary.js';
import { useColor, type CliContext } from '../context.js';
import { EXIT } from '../exit.js';
import { json, short, withStore } from './common.js';
import { formatDuration } from '../../util/duration-format.js';
import { printable } from '../../util/printable.js';

export async function showCommand(runId: string, flags: { config?: string; json?: boolean }, ctx: CliContext): Promise<number> {
  return withStore(flags, ctx, async (config, store) => {
    if (/^(rollback|publish)-/.test(runId)) {
      const a = await store.getAction(config.name, runId);
      if (!a) throw new UsageError(`no rollback or publish ${runId} in the history of ${config.name}`, 'list them with `shipgate history`');
      if (flags.json) {
        json(ctx, a);
        return EXIT.READY;
      }
      const lines = [
        `${a.kind === 'rollback' ? 'Rollback' : 'Publish'} ${a.id}: ${a.fromVersion ? `${a.fromVersion} → ` : ''}${a.toVersion} @ ${short(a.toCommit)}${a.forced ? ' (FORCED)' : ''}`,
        `  by ${a.by}, started ${a.startedAt}${a.durationMs === null ? '' : `, took ${formatDuration(a.durationMs)}`}: ${a.result.toUpperCase()}${a.runId ? ` (run ${a.runId})` : ''}`,
        ...a.steps.map((st) => `  ${st.ok ? 'OK  ' : 'FAIL'} ${st.index}. ${st.title} (${formatDuration(st.durationMs)})${st.ok ? '' : `: ${st.checks.filter((c) => !c.ok).map((c) => `${c.check}: expected ${c.expected}, got ${c.actual}`).join('; ')}`}`),
      ];
      ctx.stdout.write(`${lines.map((l) => printable(l)).join('\n')}\n`);
      return EXIT.READY;
    }
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

import { formatDuration } from '../../util/duration-format.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit.js';
import { positiveInt } from '../options.js';
import { json, short, table, withStore } from './common.js';

export async function historyCommand(flags: { config?: string; limit?: string; branch?: string; json?: boolean }, ctx: CliContext): Promise<number> {
  const limit = positiveInt(flags.limit, '--limit', 20);
  return withStore(flags, ctx, async (config, store) => {
    const runs = await store.listRuns(config.name, { limit, branch: flags.branch });
    const rates = await store.gateRetryRates(config.name, Math.max(limit, 20));
    const actions = await store.listActions(config.name, { limit });
    if (flags.json) {
      json(ctx, { project: config.name, runs, retryRates: rates, actions });
      return EXIT.READY;
    }
    if (runs.length === 0 && actions.length === 0) {
      ctx.stdout.write(`No runs recorded for ${config.name} yet. Run \`shipgate run\` first.\n`);
      return EXIT.READY;
    }
    const rows = runs.map((r) => [
      r.id,
      r.startedAt.replace('T', ' ').slice(0, 19),
      r.version,
      short(r.commit),
      r.branch ?? '-',
      r.state === 'finished' ? (r.result ?? '-') : r.state.toUpperCase(),
      // Runs that can never be last-good nor a baseline say so where runs are listed.
      [r.partial ? 'PARTIAL' : '', r.dirty ? `DIRTY (${r.dirtyFiles ?? '?'} files)` : ''].filter(Boolean).join(', ') || '-',
      r.durationMs === null ? '-' : formatDuration(r.durationMs),
      String(r.retries),
    ]);
    if (rows.length) ctx.stdout.write(`${table(['RUN', 'STARTED (UTC)', 'VERSION', 'COMMIT', 'BRANCH', 'DECISION', 'NOTE', 'DURATION', 'RETRIES'], rows)}\n`);
    if (actions.length) {
      ctx.stdout.write('\nRollbacks and publishes:\n');
      ctx.stdout.write(
        `${table(
          ['ID', 'STARTED (UTC)', 'KIND', 'BY', 'FROM', 'TO', 'RESULT', 'STEPS', 'DURATION'],
          actions.map((a) => [
            a.id,
            a.startedAt.replace('T', ' ').slice(0, 19),
            a.kind,
            a.by,
            a.fromVersion ?? '-',
            `${a.toVersion}${a.forced ? ' (forced)' : ''}`,
            a.result.toUpperCase(),
            `${a.steps.filter((x) => x.ok).length}/${a.steps.length}`,
            a.durationMs === null ? '-' : formatDuration(a.durationMs),
          ]),
        )}\n`,
      );
    }
    const retried = rates.filter((r) => r.retried > 0);
    if (retried.length) {
      ctx.stdout.write('\nRetry rate per gate:\n');
      ctx.stdout.write(
        `${table(
          ['GATE', 'RETRIED', 'RATE'],
          retried.map((r) => [r.gate, `${r.retried}/${r.runs} runs`, `${(r.rate * 100).toFixed(0)}%`]),
        )}\n`,
      );
    }
    return EXIT.READY;
  });
}

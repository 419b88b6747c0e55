import { resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { resolveBaseline } from '../../policy/baseline.js';
import { writeFileAtomic } from '../../report/json.js';
import { defaultBranch } from '../../run/git.js';
import { releaseNotes } from '../../run/release-notes.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit.js';
import { withStore } from './common.js';

export async function notesCommand(runId: string | undefined, flags: { config?: string; out?: string }, ctx: CliContext): Promise<number> {
  return withStore(flags, ctx, async (config, store) => {
    let id = runId;
    if (!id) {
      // A partial run did not check everything: the notes of "the latest release" are a full run's.
      const latest = (await store.listRuns(config.name, { limit: 50 })).find((r) => r.state === 'finished' && !r.partial);
      if (!latest) throw new UsageError(`no finished full run recorded for ${config.name}`, 'run `shipgate run` first (a run with --only or --skip is partial)');
      id = latest.id;
    }
    const run = await store.getRun(config.name, id);
    if (!run) throw new UsageError(`no run ${id} in the history of ${config.name}`, 'list runs with `shipgate history`');
    if (!run.decision) throw new UsageError(`run ${run.id} has no decision (${run.state})`);
    const policy = resolveBaseline(config.baseline, config.baseline.branch ?? (await defaultBranch(config.rootDir)));
    const text = await releaseNotes(config, store, { ...run, decision: run.decision }, policy);
    if (flags.out) {
      await writeFileAtomic(resolve(ctx.cwd, flags.out), text);
      ctx.stderr.write(`wrote release notes to ${flags.out}\n`);
    } else {
      ctx.stdout.write(text);
    }
    return EXIT.READY;
  });
}

import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { baselineValue } from '../../policy/baseline.js';
import { formatNotes, type MetricChange } from '../../report/notes.js';
import { writeFileAtomic } from '../../report/json.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit.js';
import { withStore } from './common.js';

function commitSubjects(cwd: string, from: string, to: string): Promise<string[] | undefined> {
  return new Promise((done) => {
    execFile('git', ['log', '--format=%s', `${from}..${to}`], { cwd, timeout: 10_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) =>
      done(err ? undefined : stdout.split('\n').filter(Boolean)),
    );
  });
}

export async function notesCommand(runId: string | undefined, flags: { config?: string; out?: string }, ctx: CliContext): Promise<number> {
  return withStore(flags, ctx, async (config, store) => {
    let id = runId;
    if (!id) {
      const latest = (await store.listRuns(config.name, { limit: 50 })).find((r) => r.state === 'finished');
      if (!latest) throw new UsageError(`no finished run recorded for ${config.name}`, 'run `shipgate run` first');
      id = latest.id;
    }
    const run = await store.getRun(config.name, id);
    if (!run) throw new UsageError(`no run ${id} in the history of ${config.name}`, 'list runs with `shipgate history`');
    if (!run.decision) throw new UsageError(`run ${run.id} has no decision (${run.state})`);

    const previous = await store.lastGood(config.name, { beforeRunId: run.id, excludeCommit: run.commit ?? undefined });
    const commits = previous?.commit && run.commit ? await commitSubjects(config.rootDir, previous.commit, run.commit) : undefined;
    const approvals = (await store.listApprovals(config.name, { version: run.version })).filter((a) => a.commit === run.commit);

    const recorded = await store.runMetrics(config.name, run.id);
    const samples = await store.metricSamples(config.name, { branch: config.baseline.branch, runs: config.baseline.runs + 1 });
    const metrics: MetricChange[] = recorded.map((m) => {
      // The baseline a run is compared with is made of the runs before it.
      const earlier = (samples.get(m.name) ?? []).filter((s) => s.runId !== run.id);
      const base = earlier.length >= config.baseline.minRuns ? baselineValue(earlier, config.baseline) : undefined;
      return {
        name: m.name,
        value: m.value,
        unit: m.unit ?? undefined,
        baseline: base?.value,
        changePct: base && base.value !== 0 ? ((m.value - base.value) / Math.abs(base.value)) * 100 : undefined,
        samples: earlier.length,
      };
    });

    const text = formatNotes({
      decision: run.decision,
      previous: previous && { runId: previous.id, version: previous.version, commit: previous.commit },
      commits,
      approvals,
      metrics,
    });
    if (flags.out) {
      await writeFileAtomic(resolve(ctx.cwd, flags.out), text);
      ctx.stderr.write(`wrote release notes to ${flags.out}\n`);
    } else {
      ctx.stdout.write(text);
    }
    return EXIT.READY;
  });
}

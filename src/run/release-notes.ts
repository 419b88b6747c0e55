/**
 * The facts release notes are made of, gathered from history: the previous READY release of an
 * earlier commit, the commits since, the sign-offs, and each metric against its baseline. Shared
 * by `shipgate notes` and by `run --publish` (which hands the notes to the publish steps).
 */
import { execFile } from 'node:child_process';
import type { Config } from '../config/types.js';
import type { Decision } from '../decide/types.js';
import { baselineValue, type BaselinePolicy } from '../policy/baseline.js';
import { formatNotes, type MetricChange } from './notes.js';
import type { RunSummary, Store } from '../store/store.js';

function commitSubjects(cwd: string, from: string, to: string): Promise<string[] | undefined> {
  return new Promise((done) => {
    execFile('git', ['log', '--format=%s', `${from}..${to}`], { cwd, timeout: 10_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) =>
      done(err ? undefined : stdout.split('\n').filter(Boolean)),
    );
  });
}

export async function releaseNotes(config: Config, store: Store, run: RunSummary & { decision: Decision }, policy: BaselinePolicy): Promise<string> {
  const previous = await store.lastGood(config.name, { beforeRunId: run.id, excludeCommit: run.commit ?? undefined });
  const commits = previous?.commit && run.commit ? await commitSubjects(config.rootDir, previous.commit, run.commit) : undefined;
  const approvals = (await store.listApprovals(config.name, { version: run.version })).filter((a) => a.commit === run.commit);

  const recorded = await store.runMetrics(config.name, run.id);
  const samples = await store.metricSamples(config.name, { branch: policy.branch, runs: policy.runs + 1 });
  const metrics: MetricChange[] = recorded
    // The per-test-count paths are recorded for baselines; the notes show what teams measure.
    .filter((m) => !m.name.startsWith('tests.') && !m.name.startsWith('findings.') && !m.name.startsWith('thresholds.') && !/\.(covered|total)$/.test(m.name))
    .map((m) => {
      // The baseline a run is compared with is made of the runs before it, in the same gate.
      const earlier = (samples.get(m.name) ?? []).filter((s) => s.runId !== run.id && (s.gate === undefined || s.gate === m.gate));
      const base = earlier.length >= policy.minRuns ? baselineValue(earlier, policy) : undefined;
      return {
        name: m.name,
        value: m.value,
        unit: m.unit ?? undefined,
        baseline: base?.value,
        changePct: base && base.value !== 0 ? ((m.value - base.value) / Math.abs(base.value)) * 100 : undefined,
        samples: earlier.length,
      };
    });

  return formatNotes({
    decision: run.decision,
    previous: previous && { runId: previous.id, version: previous.version, commit: previous.commit },
    commits,
    approvals,
    metrics,
  });
}

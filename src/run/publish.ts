/**
 * `shipgate run --publish`: the `publish:` steps, run only after a READY decision of a full run on
 * a clean tree has been recorded — a publish never precedes the proof it rests on, nor rests on a
 * partial one. Each step gets the version, the commit and the release notes; the publish is
 * recorded (who, each step, result, duration) and a failed step makes the run exit 1.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/types.js';
import type { Vars } from '../config/interpolate.js';
import type { Decision, PublishOutcome } from '../decide/types.js';
import type { BaselinePolicy } from '../policy/baseline.js';
import { formatNotes } from './notes.js';
import { actorName } from './actor.js';
import type { History } from './history.js';
import { releaseNotes } from './release-notes.js';
import { runSteps } from './steps.js';

/** Why a publish must not happen for this decision, or undefined when it may. */
export function publishRefusal(config: Config, d: Decision, recorded: boolean): string | undefined {
  if (config.publish.length === 0) return 'no `publish:` steps in the configuration';
  if (d.result !== 'READY') return 'the release is BLOCKED';
  if (d.interrupted) return 'the run was interrupted';
  if (d.partial) return `the run is partial (${d.selection ?? 'gates left out'}): only a full run can be published`;
  if (d.tree?.dirty) return `the working tree has uncommitted changes (${d.tree.files} files): what was tested is not a commit`;
  if (!recorded) return 'history is off (--no-history): a publish must be recorded';
  return undefined;
}

export async function runPublish(
  config: Config,
  d: Decision,
  opts: { history?: History; env: NodeJS.ProcessEnv; secrets?: readonly string[]; signal?: AbortSignal; actor?: string; baselinePolicy: BaselinePolicy },
): Promise<PublishOutcome> {
  const refused = publishRefusal(config, d, opts.history !== undefined);
  if (refused) return { status: 'refused', reason: refused, steps: [] };
  const store = opts.history!.store;
  const logDir = join(d.runDir, 'publish');
  await mkdir(logDir, { recursive: true });
  // The notes the steps publish are the recorded run's own, from history.
  const run = await store.getRun(config.name, d.runId);
  const notes = run?.decision ? await releaseNotes(config, store, { ...run, decision: run.decision }, opts.baselinePolicy) : formatNotes({ decision: d, approvals: [], metrics: [] });
  const notesFile = join(d.runDir, 'release-notes.md');
  await writeFile(notesFile, notes);

  const id = `publish-${d.runId}`;
  const t0 = performance.now();
  const by = opts.actor ?? (await actorName(opts.env, config.rootDir));
  await store.addAction({
    id,
    project: config.name,
    kind: 'publish',
    by,
    fromVersion: null,
    toVersion: d.version,
    toCommit: d.commit,
    runId: d.runId,
    forced: false,
    startedAt: new Date().toISOString(),
    endedAt: null,
    durationMs: null,
    result: 'running',
    steps: [],
  });
  const vars: Vars = { version: d.version, gitSha: d.commit ?? '', gitBranch: d.branch ?? '', runDir: d.runDir, env: opts.env };
  const result = await runSteps(config.publish, {
    kind: 'publish',
    vars,
    extraEnv: { SHIPGATE_NOTES_FILE: notesFile, SHIPGATE_RUN_ID: d.runId },
    logDir,
    env: opts.env,
    secrets: opts.secrets,
    signal: opts.signal,
  });
  const status = result.failedAt ? 'failed' : 'done';
  await store.finishAction(id, {
    endedAt: new Date().toISOString(),
    durationMs: Math.round(performance.now() - t0),
    result: opts.signal?.aborted ? 'interrupted' : status,
    steps: result.steps,
  });
  return { status, ...(result.failedAt ? { reason: `step ${result.failedAt.index} (${result.failedAt.title}) failed` } : {}), steps: result.steps };
}

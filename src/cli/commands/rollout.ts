import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { actorName } from '../../run/actor.js';
import { defaultVersion, gitInfo } from '../../run/git.js';
import { RolloutRefused, runRollout, type RolloutResult } from '../../run/rollout.js';
import { checkVersion, run } from '../../run/run.js';
import { newRunId } from '../../run/run-id.js';
import { runEnv } from '../../run/run-env.js';
import { redactText } from '../../run/redact.js';
import { UsageError } from '../../errors.js';
import { formatDuration } from '../../util/duration-format.js';
import { printable } from '../../util/printable.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit.js';
import { withStore } from './common.js';
import { parseSecretNames } from '../options.js';

export interface RolloutFlags {
  config?: string;
  by?: string;
  force?: boolean;
  secret?: string[];
}

function closing(r: RolloutResult): string {
  switch (r.status) {
    case 'done':
      return `ROLLOUT DONE: ${r.version} takes ${r.stage?.weight ?? 100}% of traffic. Recorded as ${r.id}.`;
    case 'already-done':
      return `ROLLOUT DONE already: ${r.version} was rolled out (${r.id}); nothing to do.`;
    case 'paused':
      return [
        `ROLLOUT PAUSED at ${r.stage!.id} (${r.stage!.weight}%): ${r.reason ?? 'waiting for approval'}. Recorded as ${r.id}.`,
        `  approve: shipgate approve ${r.awaiting} --by NAME --version ${r.version}`,
        `  then:    shipgate rollout ${r.version}   (resumes after ${r.awaiting})`,
      ].join('\n');
    case 'rolled-back':
      return `ROLLED BACK ${r.version} at ${r.stage!.id} (${r.stage!.weight}%): ${r.reason}. Rollback done ${formatDuration(r.rollbackMs ?? 0)} after the failed check. Recorded as ${r.id}.`;
    case 'failed':
      return `ROLLBACK FAILED after ${r.stage!.id}: ${r.reason}; the rollback steps did not all pass — act now. Recorded as ${r.id}.`;
    case 'interrupted':
      return `ROLLOUT INTERRUPTED at ${r.stage?.id ?? 'the start'}; traffic stays where the last shift put it. Recorded as ${r.id}.`;
  }
}

export async function rolloutCommand(versionArg: string | undefined, flags: RolloutFlags, ctx: CliContext): Promise<number> {
  return withStore(flags, ctx, async (config, store) => {
    if (!config.rollout) throw new UsageError('no `rollout:` in the configuration', 'add rollout: { run: ./shift.sh, stages: [{ weight: 10%, analysis: [GATE] }, { weight: 100% }] }');
    const info = await gitInfo(config.rootDir, ctx.env, { describe: versionArg === undefined });
    const version = checkVersion(versionArg ?? (await defaultVersion(config.rootDir, info)));
    const by = flags.by ?? (await actorName(ctx.env, config.rootDir));
    const secretNames = parseSecretNames(flags.secret);
    // The history store's credentials stay shipgate's; secret values are masked in logs and output.
    const { childEnv, secrets } = runEnv(config, ctx.env, secretNames);
    const say = (text: string) => ctx.stdout.write(`${printable(redactText(text, secrets))}\n`);
    const logDir = join(config.rootDir, '.shipgate', 'rollouts', newRunId());
    await mkdir(logDir, { recursive: true });
    say(`Rolling out ${config.name} ${version} @ ${info.sha ? info.sha.slice(0, 12) : '-'} — by ${by}`);
    let result: RolloutResult;
    try {
      result = await runRollout(config, store, {
        version,
        commit: info.sha,
        by,
        env: childEnv,
        secrets,
        logDir,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        force: flags.force,
        // Each analysis is a partial run of its gates, with no history written: evidence and a
        // decision in its own run folder, judged by the same rules as any run.
        analyze: (gates) => run({ cwd: config.rootDir, config, version, only: gates, with: gates, history: false, reporters: [], env: ctx.env, signal: ctx.signal, secretNames }),
        onEvent: (e) => say(`  ${e.ok === undefined ? '•' : e.ok ? 'OK  ' : 'FAIL'} ${e.text}`),
      });
    } catch (e) {
      if (!(e instanceof RolloutRefused)) throw e;
      ctx.stderr.write(`shipgate: rollout refused: ${printable(e.message)} [${e.code}]\n  hint: ${e.hint}\n`);
      return EXIT.BLOCKED;
    }
    say(closing(result));
    return result.status === 'done' || result.status === 'already-done' ? EXIT.READY : result.status === 'interrupted' ? EXIT.INTERRUPTED : EXIT.BLOCKED;
  });
}

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { actorName } from '../../run/actor.js';
import { planRollback, RollbackRefused, runRollback } from '../../run/rollback.js';
import { newRunId } from '../../run/run-id.js';
import { runEnv } from '../../run/run-env.js';
import { UsageError } from '../../errors.js';
import { formatDuration } from '../../util/duration-format.js';
import { printable } from '../../util/printable.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit.js';
import { short, withStore } from './common.js';
import { parseSecretNames } from '../options.js';

export interface RollbackFlags {
  config?: string;
  to?: string;
  from?: string;
  branch?: string;
  force?: boolean;
  by?: string;
  secret?: string[];
}

export async function rollbackCommand(flags: RollbackFlags, ctx: CliContext): Promise<number> {
  return withStore(flags, ctx, async (config, store) => {
    if (config.rollback.length === 0) throw new UsageError('no `rollback:` steps in the configuration', 'add rollback: [{ run: ./deploy.sh "$SHIPGATE_ROLLBACK_VERSION" }, …]');
    let plan;
    try {
      plan = await planRollback(config, store, { to: flags.to, from: flags.from, branch: flags.branch, force: flags.force });
    } catch (e) {
      // Refused like a blocked release (exit 1): in an incident, "not to an unproven version" is an answer.
      if (!(e instanceof RollbackRefused)) throw e;
      ctx.stderr.write(`shipgate: rollback refused: ${e.message} [${e.code}]\n  hint: ${e.hint}\n`);
      return EXIT.BLOCKED;
    }
    const target = plan.to;
    const logDir = join(config.rootDir, '.shipgate', 'rollbacks', newRunId());
    await mkdir(logDir, { recursive: true });
    const by = flags.by ?? (await actorName(ctx.env, config.rootDir));
    ctx.stdout.write(
      `Rolling back ${config.name}${plan.from ? ` from ${plan.from.version}` : ''} to ${target.version} @ ${short(target.commit)}` +
        `${target.runId ? ` (READY run ${target.runId})` : ' (FORCED: no READY, full, clean run of this version is recorded)'} — by ${by}\n`,
    );
    // The history store's credentials stay shipgate's; secret values are masked in step logs.
    const { childEnv, secrets } = runEnv(config, ctx.env, parseSecretNames(flags.secret));
    const result = await runRollback(config, plan, {
      logDir,
      env: childEnv,
      secrets,
      signal: ctx.signal,
      store,
      by,
      onStep: (s) => ctx.stdout.write(`  ${s.ok ? 'OK  ' : 'FAIL'} ${s.index}. ${printable(s.title)} (${formatDuration(s.durationMs)})\n`),
    });
    if (result.failedAt) {
      const f = result.failedAt;
      ctx.stdout.write(`ROLLBACK FAILED at step ${f.index} (${printable(f.title)}); later steps did not run. Recorded as ${result.id}.\n`);
      for (const c of f.checks.filter((x) => !x.ok)) ctx.stdout.write(`  ✗ ${printable(`${c.check}: expected ${c.expected}, got ${c.actual}`)}\n`);
      if (f.logPath) ctx.stdout.write(`  log: ${f.logPath}\n`);
      return EXIT.BLOCKED;
    }
    ctx.stdout.write(`ROLLBACK DONE: ${result.steps.length} steps passed in ${formatDuration(result.durationMs)}. Recorded as ${result.id}.\n`);
    return EXIT.READY;
  });
}

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import { newRunId } from '../../run/run.js';
import { runRollback, type RollbackTarget } from '../../run/rollback.js';
import { formatDuration } from '../../util/duration-format.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit.js';
import { short, withStore } from './common.js';

export async function rollbackCommand(flags: { config?: string; to?: string; branch?: string }, ctx: CliContext): Promise<number> {
  return withStore(flags, ctx, async (config, store) => {
    if (config.rollback.length === 0) throw new UsageError('no `rollback:` steps in the configuration', 'add rollback: [{ run: ./deploy.sh "$SHIPGATE_ROLLBACK_VERSION" }, …]');
    const to = flags.to ?? 'last-good';
    let target: RollbackTarget;
    if (to === 'last-good') {
      const run = await store.lastGood(config.name, { branch: flags.branch });
      if (!run) throw new UsageError(`no READY run recorded for ${config.name}: nothing to roll back to`, 'pass --to VERSION');
      target = { version: run.version, commit: run.commit, runId: run.id };
    } else {
      const runs = await store.listRuns(config.name, { limit: 1000 });
      const run = runs.find((r) => r.version === to && r.result === 'READY');
      target = run ? { version: run.version, commit: run.commit, runId: run.id } : { version: to, commit: null };
    }
    const logDir = join(config.rootDir, '.shipgate', 'rollbacks', newRunId());
    await mkdir(logDir, { recursive: true });
    ctx.stdout.write(`Rolling back ${config.name} to ${target.version} @ ${short(target.commit)}${target.runId ? ` (READY run ${target.runId})` : ' (no READY run of this version recorded)'}\n`);
    const result = await runRollback(config, target, {
      logDir,
      env: ctx.env,
      signal: ctx.signal,
      onStep: (s) => ctx.stdout.write(`  ${s.ok ? 'OK  ' : 'FAIL'} ${s.index}. ${s.title} (${formatDuration(s.durationMs)})\n`),
    });
    if (result.failedAt) {
      const f = result.failedAt;
      ctx.stdout.write(`ROLLBACK FAILED at step ${f.index} (${f.title}); later steps did not run.\n`);
      for (const c of f.checks.filter((x) => !x.ok)) ctx.stdout.write(`  ✗ ${c.check}: expected ${c.expected}, got ${c.actual}\n`);
      if (f.logPath) ctx.stdout.write(`  log: ${f.logPath}\n`);
      return EXIT.BLOCKED;
    }
    ctx.stdout.write(`ROLLBACK DONE: ${result.steps.length} steps passed.\n`);
    return EXIT.READY;
  });
}

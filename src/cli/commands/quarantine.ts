import { UsageError } from '../../errors.js';
import { validateUntil } from '../../policy/quarantine.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit.js';
import { json, table, withStore } from './common.js';

export async function quarantineAdd(
  patterns: string[],
  flags: { config?: string; reason?: string; until?: string; by?: string },
  ctx: CliContext,
): Promise<number> {
  if (!flags.reason) throw new UsageError('quarantine add needs --reason TEXT', 'say why the test may fail without blocking, e.g. a ticket');
  if (flags.until !== undefined) {
    const problem = validateUntil(flags.until);
    if (problem) throw new UsageError(`--until ${flags.until}: ${problem}`);
  }
  return withStore(flags, ctx, async (config, store) => {
    const id = await store.addQuarantine({ project: config.name, tests: patterns, reason: flags.reason!, until: flags.until, by: flags.by ?? ctx.env.USER });
    ctx.stdout.write(`quarantined ${patterns.join(', ')} (entry ${id})${flags.until ? ` until ${flags.until}` : ''}\n`);
    return EXIT.READY;
  });
}

export async function quarantineRemove(idOrPattern: string, flags: { config?: string }, ctx: CliContext): Promise<number> {
  return withStore(flags, ctx, async (config, store) => {
    const n = await store.removeQuarantine(config.name, idOrPattern);
    if (n === 0) throw new UsageError(`no quarantine entry or pattern "${idOrPattern}" in the store`, 'see `shipgate quarantine list`');
    ctx.stdout.write(`removed ${idOrPattern} (${n} entr${n === 1 ? 'y' : 'ies'} changed)\n`);
    return EXIT.READY;
  });
}

export async function quarantineList(flags: { config?: string; json?: boolean }, ctx: CliContext): Promise<number> {
  return withStore(flags, ctx, async (config, store) => {
    const stored = await store.listQuarantine(config.name);
    const fromConfig = config.quarantine.map((q) => ({ id: '(config)', tests: q.tests, reason: q.reason, until: q.until }));
    const all = [...fromConfig, ...stored];
    if (flags.json) {
      json(ctx, { project: config.name, quarantine: all });
      return EXIT.READY;
    }
    if (all.length === 0) {
      ctx.stdout.write('No quarantined tests.\n');
      return EXIT.READY;
    }
    ctx.stdout.write(`${table(['ID', 'TESTS', 'UNTIL', 'REASON'], all.map((q) => [q.id, q.tests.join(', '), q.until ?? '-', q.reason]))}\n`);
    return EXIT.READY;
  });
}

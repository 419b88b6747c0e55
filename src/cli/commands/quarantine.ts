import { UsageError } from '../../errors.js';
import { untilInstant, validateUntil } from '../../policy/quarantine.js';
import { matchesEverything } from '../../config/rules.js';
import { actorName } from '../../run/actor.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit.js';
import { json, table, withStore } from './common.js';

export async function quarantineAdd(
  patterns: string[],
  flags: { config?: string; reason?: string; until?: string; by?: string },
  ctx: CliContext,
): Promise<number> {
  if (!flags.reason?.trim()) throw new UsageError('quarantine add needs --reason TEXT', 'say why the test may fail without blocking, e.g. a ticket');
  if (flags.until === undefined) throw new UsageError('quarantine add needs --until YYYY-MM-DD', 'a quarantine is a short excuse with an end date');
  const problem = validateUntil(flags.until);
  if (problem) throw new UsageError(`--until ${flags.until}: ${problem}`);
  for (const p of patterns) {
    if (matchesEverything(p)) throw new UsageError(`pattern ${JSON.stringify(p)} matches every test`, 'name the tests (or a file or class) the quarantine is for');
  }
  return withStore(flags, ctx, async (config, store) => {
    const end = untilInstant(flags.until!)!.getTime();
    if (end - Date.now() > config.defaults.quarantineMaxMs) {
      throw new UsageError(`--until ${flags.until} is more than ${Math.round(config.defaults.quarantineMaxMs / 86_400_000)} days away`, 'a quarantine is a short excuse; raise defaults.quarantine-max in the config if the project needs longer');
    }
    const by = flags.by ?? (await actorName(ctx.env, config.rootDir));
    const id = await store.addQuarantine({ project: config.name, tests: patterns, reason: flags.reason!, until: flags.until, by });
    ctx.stdout.write(`quarantined ${patterns.join(', ')} (entry ${id}) until ${flags.until} by ${by}\n`);
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

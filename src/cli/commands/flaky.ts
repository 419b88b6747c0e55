import { flakyStats } from '../../policy/flaky.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit.js';
import { json, short, table, withStore } from './common.js';
import { positiveInt } from '../options.js';

export async function flakyCommand(flags: { config?: string; window?: string; json?: boolean }, ctx: CliContext): Promise<number> {
  const window = positiveInt(flags.window, '--window', 50);
  return withStore(flags, ctx, async (config, store) => {
    const rows = await store.flakyCandidates(config.name, window);
    const stats = flakyStats(rows, window).filter((s) => s.flaky);
    if (flags.json) {
      json(ctx, { project: config.name, window, tests: stats });
      return EXIT.READY;
    }
    if (stats.length === 0) {
      ctx.stdout.write(`No flaky tests in the last ${window} runs of ${config.name}.\n`);
      return EXIT.READY;
    }
    const rows2 = stats.map((s) => [
      s.testId,
      String(s.runs),
      `${(s.flipRate * 100).toFixed(0)}% (${s.flips} flip${s.flips === 1 ? '' : 's'})`,
      String(s.flakyInRun),
      s.commits.length ? s.commits.map(short).join(',') : '-',
      s.lastSeen.replace('T', ' ').slice(0, 19),
    ]);
    ctx.stdout.write(`${table(['TEST', 'RUNS', 'FLIP RATE', 'RETRIED', 'PASS+FAIL ON COMMIT', 'LAST SEEN'], rows2)}\n`);
    ctx.stdout.write(`\nQuarantine one with: shipgate quarantine add 'TEST-ID' --reason '…' --until YYYY-MM-DD\n`);
    return EXIT.READY;
  });
}

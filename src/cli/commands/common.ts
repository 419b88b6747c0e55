/** What the history commands share: the project's config and its store, opened and closed once. */
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/types.js';
import { isCi } from '../../run/ci.js';
import { openConfiguredStore } from '../../run/history.js';
import type { Store } from '../../store/store.js';
import type { CliContext } from '../context.js';
import { printable } from '../../util/printable.js';

export async function withStore<T>(flags: { config?: string }, ctx: CliContext, fn: (config: Config, store: Store) => Promise<T>): Promise<T> {
  const config = await loadConfig({ cwd: ctx.cwd, file: flags.config });
  const store = await openConfiguredStore(config, { env: ctx.env, ci: isCi(ctx.env) });
  try {
    return await fn(config, store);
  } finally {
    await store.close();
  }
}

/** A plain text table: columns padded to their widest cell; cells (versions, branches, test ids) made printable. */
export function table(head: string[], raw: string[][]): string {
  const rows = raw.map((r) => r.map((cell) => printable(cell)));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

export function json(ctx: CliContext, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function short(sha: string | null | undefined): string {
  return sha ? sha.slice(0, 12) : '-';
}

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { baselineValue, metricPolicy } from '../../policy/baseline.js';
import { formatNumber } from '../../policy/units.js';
import { writeFileAtomic } from '../../report/json.js';
import { parseBaselineExport } from '../../store/store.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit.js';
import { json, table, withStore } from './common.js';

export async function baselineShow(flags: { config?: string; branch?: string; json?: boolean }, ctx: CliContext): Promise<number> {
  return withStore(flags, ctx, async (config, store) => {
    const cfg = { ...config.baseline, branch: flags.branch ?? config.baseline.branch };
    const samples = await store.metricSamples(config.name, { branch: cfg.branch, runs: cfg.runs });
    const rows = [...samples.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, s]) => ({ name, baseline: baselineValue(s, cfg), policy: metricPolicy(name, cfg), enough: s.length >= cfg.minRuns }));
    if (flags.json) {
      json(ctx, { project: config.name, branch: cfg.branch, runs: cfg.runs, minRuns: cfg.minRuns, metrics: rows });
      return EXIT.READY;
    }
    if (rows.length === 0) {
      ctx.stdout.write(`No baseline yet: no metrics recorded from READY runs on ${cfg.branch}.\n`);
      return EXIT.READY;
    }
    ctx.stdout.write(`Baseline of ${config.name}: median of the last ${cfg.runs} READY runs on ${cfg.branch}\n`);
    ctx.stdout.write(
      `${table(
        ['METRIC', 'BASELINE', 'SPREAD', 'RUNS', 'DATES', 'BETTER', 'WARN/FAIL'],
        rows.map((r) => [
          r.name,
          r.baseline ? formatNumber(r.baseline.value) : '-',
          r.baseline ? formatNumber(r.baseline.spread) : '-',
          `${r.baseline?.n ?? 0}${r.enough ? '' : ` (< ${cfg.minRuns}: warns only)`}`,
          r.baseline ? `${r.baseline.from}..${r.baseline.to}` : '-',
          `${r.policy.direction}${r.policy.directionFrom === 'configured' ? '' : ` (${r.policy.directionFrom})`}`,
          `${r.policy.warnPct}% / ${r.policy.failPct}%`,
        ]),
      )}\n`,
    );
    return EXIT.READY;
  });
}

export async function baselineExport(flags: { config?: string; branch?: string; out?: string }, ctx: CliContext): Promise<number> {
  return withStore(flags, ctx, async (config, store) => {
    const data = await store.exportBaseline(config.name, flags.branch ?? config.baseline.branch, config.baseline.runs);
    const text = `${JSON.stringify(data, null, 2)}\n`;
    if (flags.out) {
      await writeFileAtomic(resolve(ctx.cwd, flags.out), text);
      ctx.stderr.write(`wrote ${data.metrics.length} metrics to ${flags.out}\n`);
    } else {
      ctx.stdout.write(text);
    }
    return EXIT.READY;
  });
}

export async function baselineImport(file: string, flags: { config?: string }, ctx: CliContext): Promise<number> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(resolve(ctx.cwd, file), 'utf8'));
  } catch (e) {
    throw new UsageError(`cannot read baseline ${file}: ${(e as Error).message}`, 'give a file written by `shipgate baseline export`');
  }
  const parsed = parseBaselineExport(data);
  return withStore(flags, ctx, async (config, store) => {
    const n = await store.importBaseline(config.name, parsed);
    ctx.stdout.write(`imported ${n} samples into the baseline of ${config.name}${parsed.project !== config.name ? ` (exported from ${parsed.project})` : ''}\n`);
    return EXIT.READY;
  });
}

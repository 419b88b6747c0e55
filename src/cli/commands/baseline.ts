import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { baselineValue, metricPolicy, resolveBaseline, type BaselineSample } from '../../policy/baseline.js';
import { defaultBranch } from '../../run/git.js';
import { formatNumber } from '../../policy/units.js';
import { writeFileAtomic } from '../../report/json.js';
import { parseBaselineExport } from '../../store/store.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit.js';
import { json, table, withStore } from './common.js';

export async function baselineShow(flags: { config?: string; branch?: string; json?: boolean }, ctx: CliContext): Promise<number> {
  return withStore(flags, ctx, async (config, store) => {
    const cfg = resolveBaseline(config.baseline, flags.branch ?? config.baseline.branch ?? (await defaultBranch(config.rootDir)));
    const samples = await store.metricSamples(config.name, { branch: cfg.branch, runs: cfg.runs });
    // A baseline is per gate: `tests.total` of the unit gate is no baseline for the e2e gate's.
    const byGate = new Map<string, { name: string; gate: string | null; samples: BaselineSample[] }>();
    for (const [name, list] of samples) {
      for (const s of list) {
        const key = `${s.gate ?? ''}\u0000${name}`;
        const entry = byGate.get(key) ?? { name, gate: s.gate ?? null, samples: [] };
        entry.samples.push(s);
        byGate.set(key, entry);
      }
    }
    const rows = [...byGate.values()]
      .sort((a, b) => (a.gate ?? '').localeCompare(b.gate ?? '') || a.name.localeCompare(b.name))
      .map((e) => ({ name: e.name, gate: e.gate, baseline: baselineValue(e.samples, cfg), policy: metricPolicy(e.name, cfg), enough: e.samples.length >= cfg.minRuns }));
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
        ['GATE', 'METRIC', 'BASELINE', 'SPREAD', 'RUNS', 'DATES', 'BETTER', 'WARN/FAIL'],
        rows.map((r) => [
          r.gate ?? '*',
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
    const branch = flags.branch ?? config.baseline.branch ?? (await defaultBranch(config.rootDir));
    const data = await store.exportBaseline(config.name, branch, config.baseline.runs);
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

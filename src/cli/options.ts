/** Flag values that need checking beyond what the parser does. */
import { availableParallelism } from 'node:os';
import { UsageError } from '../errors.js';
import { resolve } from 'node:path';
import { isCi } from '../run/ci.js';
import { REPORT_KINDS, isReportKind, type ReportTarget } from '../report/kinds.js';

/** `--with a,b --with c` → [a, b, c]. */
export function collectList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function parseConcurrency(value: string | undefined): number {
  if (value === undefined) return Math.max(1, availableParallelism());
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 256) {
    throw new UsageError(`--concurrency ${value}: expected a whole number from 1 to 256`);
  }
  return Number(value);
}

/**
 * `--report KIND[=PATH]` (repeatable): KIND from the reporter registry; PATH relative to the
 * working directory, or the kind's default target (see `shipgate run --help`).
 */
export function parseReports(values: string[] | undefined, cwd: string): ReportTarget[] {
  const out: ReportTarget[] = [];
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    const kind = eq >= 0 ? v.slice(0, eq) : v;
    const path = eq >= 0 ? v.slice(eq + 1) : undefined;
    if (!isReportKind(kind) || path === '') {
      throw new UsageError(`--report ${v}: expected KIND or KIND=PATH with KIND one of ${REPORT_KINDS.join(', ')}`, 'for example --report junit=out/shipgate.xml or --report html');
    }
    const target: ReportTarget = { kind, requested: true, ...(path !== undefined ? { path: resolve(cwd, path) } : {}) };
    // The same report asked for twice is written once.
    if (!out.some((t) => t.kind === target.kind && t.path === target.path)) out.push(target);
  }
  return out;
}

export function ciMode(opts: { ci?: boolean; local?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (opts.ci && opts.local) throw new UsageError('--ci and --local cannot both be given');
  if (opts.ci) return true;
  if (opts.local) return false;
  return isCi(env);
}

export function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${flag} ${value}: expected a whole number ≥ 1`);
  return Number(value);
}

/** `--secret NAME` (repeatable, comma-separated): environment variable names, checked as such. */
export function parseSecretNames(values: string[] | undefined): string[] {
  for (const v of values ?? []) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) {
      throw new UsageError(`--secret ${JSON.stringify(v)}: expected the name of an environment variable, not its value`, 'for example --secret DEPLOY_TOKEN');
    }
  }
  return values ?? [];
}

/** `--label NAME` (repeatable, comma-separated): labels of this release, e.g. `fix`. */
export function parseLabels(values: string[] | undefined): string[] {
  for (const v of values ?? []) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v)) {
      throw new UsageError(`--label ${JSON.stringify(v)}: a label uses letters, digits, . _ -`, 'for example --label fix');
    }
  }
  return [...new Set(values ?? [])];
}

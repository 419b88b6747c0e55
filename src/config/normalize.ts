/**
 * What users write → the `Config` every later stage uses: defaults filled, durations in ms, sizes
 * in bytes, paths absolute. Assumes the schema and rules have accepted the input.
 */
import { basename, resolve } from 'node:path';
import type {
  BaselineConfig,
  Config,
  GateConfig,
  ManualConfig,
  NotifyConfig,
  NotifyWhen,
  ReportSpec,
  RollbackStep,
  RolloutConfig,
  ServiceConfig,
  Severity,
} from './types.js';
import type { EvidenceFormat } from '../model/evidence.js';
import { KINDS, type CheckConfigs } from '../checks/registry.js';
import { normalizeSlos } from '../checks/slos.js';
import { SLO_GATE, SLO_GATE_TITLE } from './slo-gate.js';
import { normalizeProbe } from '../checks/probes.js';
import type { UserConfig, UserGate, UserStep } from './schema.js';
import { parseDuration, parseSize } from './values.js';

const DEFAULT_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_READY_TIMEOUT_MS = 30_000;
const DEFAULT_READY_INTERVAL_MS = 250;
/** Reports a gate reads from outside the run (no command, no need that ran) may be this old. */
const DEFAULT_MAX_AGE_MS = 60 * 60_000;
const DAY_MS = 86_400_000;
/** An approval counts for a month unless the gate says otherwise. */
const DEFAULT_APPROVAL_MS = 30 * DAY_MS;
/** Each gate's and service's log is cut at 100 MB unless the project says otherwise. */
const DEFAULT_LOG_MAX_BYTES = 100 * 1000 * 1000;
/** A quarantine ends within 90 days unless the project says otherwise. */
export const DEFAULT_QUARANTINE_MAX_MS = 90 * DAY_MS;

const ms = (d: string | undefined): number | undefined => (d === undefined ? undefined : parseDuration(d));
const bytes = (s: string | number | undefined): number | undefined => (s === undefined ? undefined : parseSize(s));
const pct = (p: string | number | undefined): number | undefined =>
  p === undefined ? undefined : typeof p === 'number' ? p : Number(p.replace('%', ''));
const env = (e: Record<string, string | number | boolean> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(e ?? {}).map(([k, v]) => [k, String(v)]));
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export { normalizeProbe };

const manualOf = (m: NonNullable<UserGate['manual']>): ManualConfig => ({
  checklist: m.checklist ?? [],
  evidence: m.evidence ?? 'optional',
  approvers: m.approvers,
  expiresMs: ms(m.expires) ?? DEFAULT_APPROVAL_MS,
  ...(m.keys ? { keys: { ...m.keys } } : {}),
});

/** A stage without an id is named for its weight: `rollout-10` for 10%. */
export const rolloutStageId = (weight: number): string => `rollout-${String(weight).replace('.', '_')}`;

/** Each check kind the gate asks for, normalised by its kind (an empty list asks for nothing). */
function normalizeChecks(g: UserGate, cwd: string): CheckConfigs {
  const out: Record<string, unknown> = {};
  for (const kind of KINDS) {
    const raw = (g as Record<string, unknown>)[kind.key];
    if (raw !== undefined && kind.present(raw)) out[kind.key] = kind.normalize(raw as never, { cwd });
  }
  return out as CheckConfigs;
}

/** `rootDir`: the project's folder, by default the configuration file's. */
export function normalizeConfig(user: UserConfig, file: string, hash: string, rootDir: string = resolve(file, '..')): Config {
  const baseCwd = resolve(rootDir, user.defaults?.cwd ?? '.');
  // Most gates share a handful of cwds: resolve each once (100,000 gates would otherwise pay for 100,000 resolves).
  const cwds = new Map<string, string>();
  const cwdOf = (rel: string | undefined): string => {
    const key = rel ?? '.';
    let abs = cwds.get(key);
    if (abs === undefined) cwds.set(key, (abs = resolve(baseCwd, key)));
    return abs;
  };
  const defaultSeverity: Severity = user.defaults?.severity ?? 'block';
  const defaultTimeoutMs = ms(user.defaults?.timeout) ?? DEFAULT_TIMEOUT_MS;

  const services: Record<string, ServiceConfig> = {};
  for (const [id, s] of Object.entries(user.services ?? {})) {
    services[id] = {
      id,
      run: s.run,
      ports: [...new Set(list(s.port))],
      cwd: cwdOf(s.cwd),
      env: env(s.env),
      ready: s.ready && {
        http: s.ready.http,
        command: s.ready.command,
        timeoutMs: ms(s.ready.timeout) ?? DEFAULT_READY_TIMEOUT_MS,
        intervalMs: ms(s.ready.interval) ?? DEFAULT_READY_INTERVAL_MS,
      },
    };
  }

  const gates: Record<string, GateConfig> = {};
  for (const [id, g] of Object.entries(user.gates)) {
    const retry = g.retry === undefined ? { attempts: 1, delay: undefined } : typeof g.retry === 'number' ? { attempts: g.retry, delay: undefined } : g.retry;
    gates[id] = {
      id,
      title: g.title ?? id,
      run: g.run === undefined ? undefined : list(g.run),
      cwd: cwdOf(g.cwd),
      env: env(g.env),
      testsFailedExitCodes: [...new Set(g['exit-codes']?.['tests-failed'] ?? [1])],
      maxAgeMs: ms(g['max-age']) ?? DEFAULT_MAX_AGE_MS,
      needs: [...new Set(g.needs ?? [])],
      when: g.when ?? 'always',
      optional: g.optional ?? false,
      external: g.external ?? false,
      services: [...new Set(g.services ?? [])],
      checks: normalizeChecks(g, cwdOf(g.cwd)),
      reports: (g.reports ?? []).map((r): ReportSpec =>
        typeof r === 'string' ? { path: r } : { path: r.path, format: r.format as EvidenceFormat | undefined, maxAgeMs: ms(r['max-age']) },
      ),
      expect: g.expect ?? [],
      severity: g.severity ?? defaultSeverity,
      timeoutMs: ms(g.timeout) ?? defaultTimeoutMs,
      budgetMs: ms(g.budget),
      retry: { attempts: retry.attempts, delayMs: ms(retry.delay) ?? 0 },
      manual: g.manual && manualOf(g.manual),
    };
  }

  if (user.slos) {
    gates[SLO_GATE] = {
      id: SLO_GATE,
      title: SLO_GATE_TITLE,
      run: undefined,
      cwd: baseCwd,
      env: {},
      testsFailedExitCodes: [1],
      maxAgeMs: DEFAULT_MAX_AGE_MS,
      needs: [],
      when: 'always',
      optional: false,
      external: false,
      services: [],
      checks: { slos: normalizeSlos(user.slos, user.budget) },
      reports: [],
      expect: [],
      severity: defaultSeverity,
      timeoutMs: defaultTimeoutMs,
      retry: { attempts: 1, delayMs: 0 },
    };
  }

  const requirements: Config['requirements'] = {};
  for (const [id, r] of Object.entries(user.requirements ?? {})) {
    requirements[id] = { id, title: r.title ?? id, tests: r.tests, severity: r.severity ?? defaultSeverity };
  }

  const b = user.baseline;
  const baseline: BaselineConfig = {
    branch: b?.branch,
    require: b?.require ?? false,
    runs: b?.runs ?? 5,
    minRuns: b?.['min-runs'] ?? 3,
    warnPct: pct(b?.warn) ?? 10,
    failPct: pct(b?.fail) ?? 20,
    metrics: Object.fromEntries(
      Object.entries(b?.metrics ?? {}).map(([k, v]) => [k, { direction: v.direction, warnPct: pct(v.warn), failPct: pct(v.fail) }]),
    ),
  };

  const stepsOf = (list: UserStep[]): RollbackStep[] =>
    list.map((s, i) => ({
      title: s.title ?? s.run ?? `step ${i + 1}`,
      run: s.run,
      probe: s.probe && normalizeProbe(s.probe),
      cwd: cwdOf(s.cwd),
      env: env(s.env),
      timeoutMs: ms(s.timeout) ?? defaultTimeoutMs,
    }));
  const rollback = stepsOf(Array.isArray(user.rollback) ? user.rollback : (user.rollback?.steps ?? []));

  const r = user.rollout;
  const rollout: RolloutConfig | undefined = r && {
    ...(r.run !== undefined ? { run: r.run } : {}),
    stages: r.stages.map((st, i) => {
      const weight = pct(st.weight)!;
      const holdMs = ms(st.hold) ?? 0;
      return {
        index: i + 1,
        id: st.id ?? rolloutStageId(weight),
        weight,
        run: st.run ?? r.run ?? '',
        holdMs,
        intervalMs: ms(st.interval) ?? Math.max(1000, Math.floor(holdMs / 3)),
        analysis: [...new Set(st.analysis ?? [])],
        ...(st.approve === 'manual' ? { manual: manualOf(st.manual ?? {}) } : {}),
      };
    }),
    cwd: cwdOf(r.cwd),
    env: env(r.env),
    timeoutMs: ms(r.timeout) ?? defaultTimeoutMs,
    rollback: stepsOf(r.rollback ?? []),
  };

  return {
    name: user.name ?? basename(rootDir),
    file,
    rootDir,
    hash,
    defaults: { timeoutMs: defaultTimeoutMs, severity: defaultSeverity, quarantineMaxMs: ms(user.defaults?.['quarantine-max']) ?? DEFAULT_QUARANTINE_MAX_MS,
      logMaxBytes: bytes(user.defaults?.['log-max']) ?? DEFAULT_LOG_MAX_BYTES,
    },
    services,
    gates,
    requirements,
    quarantine: (user.quarantine ?? []).map((q) => ({ tests: list(q.tests), reason: q.reason, until: q.until })),
    store: { url: user.store?.url },
    baseline,
    rollback,
    publish: stepsOf(user.publish ?? []),
    ...(rollout ? { rollout } : {}),
    secrets: [...new Set(user.secrets ?? [])],
    ...(user.notify ? { notify: normalizeNotify(user.notify) } : {}),
  };
}

const DEFAULT_NOTIFY_TIMEOUT_MS = 10_000;
const MAX_NOTIFY_TIMEOUT_MS = 60_000;

function normalizeNotify(n: NonNullable<UserConfig['notify']>): NotifyConfig {
  const on = (w: readonly string[] | undefined): NotifyWhen[] => [...new Set((w ?? ['always']) as NotifyWhen[])];
  const gc = n['github-comment'];
  return {
    ...(n.slack ? { slack: { webhook: n.slack.webhook, on: on(n.slack.on) } } : {}),
    ...(n.webhook ? { webhook: { url: n.webhook.url, headers: { ...(n.webhook.headers ?? {}) }, ...(n.webhook.secret ? { secret: n.webhook.secret } : {}), on: on(n.webhook.on) } } : {}),
    ...(gc ? { githubComment: { on: on(gc === true ? undefined : gc.on) } } : {}),
    timeoutMs: Math.min(ms(n.timeout) ?? DEFAULT_NOTIFY_TIMEOUT_MS, MAX_NOTIFY_TIMEOUT_MS),
  };
}

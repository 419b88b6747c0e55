/**
 * The one schema of what users write in `shipgate.yml`. Validation, the editor JSON Schema
 * (`schema/shipgate.schema.json`) and the user-facing types all come from here.
 * Values stay as written (durations and sizes as strings); `normalize.ts` converts them.
 */
import { z } from 'zod';
import { deferred } from './deferred.js';
import { EVIDENCE_FORMATS } from '../model/evidence.js';
import { validateUntil } from './values.js';
import { CHECK_KINDS, type CheckShape } from '../checks/registry.js';
import { budgetPolicySchema, slosSchema } from '../checks/slos.js';
import { probeSchema } from '../checks/probes.js';
import { ID_RE, duration, envMap, percent, severity, size, span, url } from './fields.js';

export { PROBE_METHODS, probeSchema } from '../checks/probes.js';
export { artifactSchema } from '../checks/artifacts.js';

export const readySchema = deferred(() =>
  z
    .strictObject({
      http: url.optional().meta({ description: 'Ready when this URL answers 2xx' }),
      command: z.string().min(1).optional().meta({ description: 'Ready when this shell command exits 0' }),
      timeout: duration.optional().meta({ description: 'Give up after this long (default 30s)' }),
      interval: duration.optional().meta({ description: 'Time between checks (default 250ms)' }),
    })
    .refine((r) => (r.http === undefined) !== (r.command === undefined), {
      message: 'give exactly one of `http` or `command`',
      params: { code: 'CONFIG_VALUE' },
    })
);

const portNumber = z.number().int().min(1).max(65535);

export const serviceSchema = deferred(() =>
  z.strictObject({
    run: z.string().min(1).meta({ description: 'Shell command that starts the service (stays in the foreground)' }),
    port: z.union([portNumber, z.array(portNumber).min(1)]).optional().meta({
      description: 'Port(s) the service listens on: free before it starts, and owned by its own processes once ready',
    }),
    cwd: z.string().optional(),
    env: envMap.optional(),
    ready: readySchema.optional(),
  })
);

export const reportSchema = deferred(() =>
  z.union([
    z.string().min(1),
    z.strictObject({
      path: z.string().min(1),
      format: z.enum(EVIDENCE_FORMATS as [string, ...string[]]).optional(),
      'max-age': duration.optional().meta({ description: 'In a gate without a command: how old the file may be (default the gate\'s max-age, 1h)' }),
    }),
  ])
);

export const exitCodesSchema = deferred(() =>
  z.strictObject({
    'tests-failed': z.array(z.number().int().min(1).max(255)).min(1).meta({
      description: "Exit codes the test runner uses for \"some tests failed\" (default [1]); only these can be explained by quarantined or tolerated failures",
    }),
  })
);

const commandSteps = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).meta({
  description: 'Shell command, or a list of steps run in order (each step\'s exit code is its own)',
});

export const retrySchema = deferred(() =>
  z.union([
    z.number().int().min(1).max(20),
    z.strictObject({
      attempts: z.number().int().min(1).max(20).meta({ description: 'Total attempts, 1 = no retry' }),
      delay: duration.optional(),
    }),
  ])
);

export const manualSchema = deferred(() =>
  z.strictObject({
    checklist: z.array(z.string().min(1)).optional(),
    evidence: z.enum(['required', 'optional']).optional(),
    approvers: z.array(z.string().min(1)).min(1).optional().meta({ description: 'Who may approve; the approver must differ from whoever ran the gate' }),
    expires: span.optional().meta({ description: 'An approval counts for this long (default 30d)' }),
    keys: z.record(z.string().min(1), z.string().min(1)).optional().meta({
      description: 'Approver → OpenSSH ed25519 public key ("ssh-ed25519 AAAA…"): only approvals signed with `shipgate approve --sign` count',
    }),
  })
);

function checkKindShape(): CheckShape {
  return Object.fromEntries(CHECK_KINDS.map((k) => [k.key, (k.schema as z.ZodType).optional()])) as CheckShape;
}

export const gateSchema = z.strictObject({
  title: z.string().optional(),
  run: commandSteps.optional(),
  cwd: z.string().optional(),
  env: envMap.optional(),
  'exit-codes': exitCodesSchema.optional(),
  'max-age': duration.optional().meta({ description: 'A gate without a command reads reports at most this old (default 1h)' }),
  needs: z.array(z.string()).optional().meta({ description: 'Gates that must pass before this one runs' }),
  when: z.enum(['always', 'ci', 'local']).optional(),
  optional: z.boolean().optional().meta({ description: 'Runs only when enabled with --with <id>' }),
  external: z.boolean().optional().meta({
    description: 'The gate checks a system shipgate did not start (production, staging, a rollout\'s router): its probes and load may reach loopback ports no service of the gate holds',
  }),
  services: z.array(z.string()).optional(),
  // Each check kind's key, where probes and artifacts always were (see checks/registry.ts).
  ...checkKindShape(),
  reports: z.array(reportSchema).optional(),
  expect: z.array(z.string().min(1)).optional().meta({ description: 'Assertions over the evidence, e.g. "tests.failed == 0"' }),
  severity: severity.optional(),
  timeout: duration.optional(),
  budget: duration.optional().meta({ description: 'Over budget: a warning on a passing gate' }),
  retry: retrySchema.optional(),
  manual: manualSchema.optional(),
});

export const requirementSchema = deferred(() =>
  z.strictObject({
    title: z.string().optional(),
    tests: z.array(z.string().min(1)).min(1).meta({ description: 'Test id patterns; * matches any run of characters' }),
    severity: severity.optional(),
  })
);

export const quarantineSchema = deferred(() =>
  z.strictObject({
    tests: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    reason: z.string().min(1),
    until: z
      .string()
      .refine((s) => validateUntil(s) === undefined, {
        message: 'not a date: write YYYY-MM-DD (through that day, UTC) or a full ISO timestamp with a zone',
        params: { code: 'CONFIG_VALUE' },
      })
      .meta({ description: 'The day the quarantine ends (at most defaults.quarantine-max away, 90 days by default)' }),
  })
);

const pctValue = (p: string | number | undefined): number | undefined => (p === undefined ? undefined : typeof p === 'number' ? p : Number(p.replace('%', '')));

export const baselineSchema = deferred(() =>
  z.strictObject({
    branch: z.string().optional().meta({ description: "Branch whose READY runs make the baseline (default: the repository's default branch: origin/HEAD, else main or master)" }),
    runs: z.number().int().min(1).max(100).optional().meta({ description: 'Median of this many READY runs (default 5)' }),
    'min-runs': z.number().int().min(1).max(100).optional(),
    warn: percent.optional(),
    fail: percent.optional(),
    require: z.boolean().optional().meta({ description: 'true: a baseline check that has no baseline blocks instead of warning' }),
    metrics: z
      .record(
        z.string(),
        z.strictObject({ direction: z.enum(['lower', 'higher']).optional(), warn: percent.optional(), fail: percent.optional() }),
      )
      .optional(),
  })
    .refine((b) => (b['min-runs'] ?? 3) <= (b.runs ?? 5), {
      message: '`min-runs` is larger than `runs`: the baseline could never have enough runs, so drift would never be judged',
      params: { code: 'CONFIG_VALUE' },
    })
    .refine((b) => [b, ...Object.values(b.metrics ?? {})].every((m) => (pctValue(m.warn) ?? 10) <= (pctValue(m.fail) ?? 20)), {
      message: '`warn` is above `fail`: a regression would fail before it could warn, or never fail',
      params: { code: 'CONFIG_VALUE' },
    })
);

export const rollbackStepSchema = deferred(() =>
  z
    .strictObject({
      title: z.string().optional(),
      run: z.string().min(1).optional(),
      probe: probeSchema.optional(),
      cwd: z.string().optional(),
      env: envMap.optional(),
      timeout: duration.optional(),
    })
    .refine((s) => (s.run === undefined) !== (s.probe === undefined), {
      message: 'a rollback step has either `run` or `probe`',
      params: { code: 'CONFIG_VALUE' },
    })
);

const rolloutStageSchema = deferred(() =>
  z.strictObject({
    id: z.string().regex(ID_RE, 'ids use letters, digits, . _ -').optional().meta({ description: 'The stage id (default rollout-<weight>): what `shipgate approve` names for a manual stage' }),
    weight: percent.meta({ description: "The new version's share of traffic in this stage, e.g. 10%" }),
    run: z.string().min(1).optional().meta({ description: 'The traffic-shift command of this stage (default: rollout.run); gets SHIPGATE_WEIGHT' }),
    hold: duration.optional().meta({ description: 'Stay at this weight this long, running the analysis every `interval`, before moving on' }),
    interval: duration.optional().meta({ description: 'How often the analysis runs during the hold (default: hold / 3, at least 1s)' }),
    analysis: z.array(z.string().min(1)).optional().meta({ description: 'Gate ids run as the analysis (usually `optional: true` gates): all must be READY, or the rollout rolls back' }),
    approve: z.literal('manual').optional().meta({ description: 'manual: after this stage, wait for `shipgate approve <stage id>`; `shipgate rollout` then resumes' }),
    manual: manualSchema.optional().meta({ description: 'With approve: manual — approvers, checklist, evidence, expires, keys, as for a manual gate' }),
  })
);

export const rolloutSchema = deferred(() =>
  z.strictObject({
    run: z.string().min(1).optional().meta({ description: 'The traffic-shift command, run at each stage with SHIPGATE_WEIGHT (10 for 10%), SHIPGATE_STAGE and ${version}' }),
    cwd: z.string().optional(),
    env: envMap.optional(),
    timeout: duration.optional().meta({ description: 'Each traffic-shift and rollback command: give up after this long (default defaults.timeout)' }),
    stages: z.array(rolloutStageSchema).min(1),
    rollback: z.array(rollbackStepSchema).optional().meta({ description: 'Steps run when an analysis fails (default: the traffic-shift command with SHIPGATE_WEIGHT=0)' }),
  })
);

/** Notification values may use `${env.NAME}` (secrets stay in the environment) and nothing else. */
const notifyText = z
  .string()
  .min(1)
  .refine((s) => [...s.matchAll(/\$\{([^}]*)\}/g)].every((m) => /^env\.[A-Za-z_][A-Za-z0-9_]*$/.test(m[1]!.trim())), {
    message: 'only ${env.NAME} can be used here, e.g. "${env.SLACK_WEBHOOK_URL}"',
    params: { code: 'CONFIG_VARIABLE' },
  });
const notifyOn = z.array(z.enum(['ready', 'blocked', 'always'])).min(1).meta({ description: 'When to send: ready, blocked, always (default always)' });

export const notifySchema = deferred(() =>
  z.strictObject({
    slack: z.strictObject({ webhook: notifyText.meta({ description: 'Incoming-webhook URL, e.g. "${env.SLACK_WEBHOOK_URL}" (a secret: never printed)' }), on: notifyOn.optional() }).optional(),
    webhook: z
      .strictObject({
        url: notifyText.meta({ description: 'Receives the decision summary as JSON (POST)' }),
        headers: z.record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'an HTTP header name'), notifyText).optional(),
        secret: notifyText.optional().meta({ description: 'HMAC-SHA256 key: the body is signed in the X-Shipgate-Signature-256 header' }),
        on: notifyOn.optional(),
      })
      .optional(),
    'github-comment': z
      .union([z.boolean(), z.strictObject({ on: notifyOn.optional() })])
      .optional()
      .meta({ description: 'A pull-request comment, updated in place ($GITHUB_TOKEN, $GITHUB_API_URL, $GITHUB_REPOSITORY)' }),
    timeout: duration.optional().meta({ description: 'All notifications together finish within this (default 10s, at most 60s)' }),
  })
);

export const configSchema = z
  .strictObject({
    $schema: z.string().optional(),
    name: z.string().min(1).optional().meta({ description: 'Project name; history is kept per project' }),
    defaults: z
      .strictObject({
        timeout: duration.optional(),
        severity: severity.optional(),
        cwd: z.string().optional(),
        'quarantine-max': span.optional().meta({ description: 'How far away a quarantine may end (default 90d)' }),
        'log-max': size.optional().meta({ description: 'Each gate and service log is cut at this size, with a marker (default 100MB)' }),
      })
      .optional(),
    services: z.record(z.string().regex(ID_RE, 'ids use letters, digits, . _ -'), serviceSchema).optional(),
    gates: z.record(z.string().regex(ID_RE, 'ids use letters, digits, . _ -'), gateSchema),
    requirements: z.record(z.string().regex(ID_RE, 'ids use letters, digits, . _ -'), requirementSchema).optional(),
    quarantine: z.array(quarantineSchema).optional(),
    store: z.strictObject({ url: z.string().optional() }).optional(),
    secrets: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')).optional().meta({
      description: 'More environment variables whose values are masked everywhere (besides names that say TOKEN, SECRET, PASSWORD, …)',
    }),
    baseline: baselineSchema.optional(),
    slos: slosSchema.optional().meta({ description: 'Service level objectives, judged from Prometheus in a gate `slos` of their own: budget left and burn rates' }),
    budget: budgetPolicySchema.optional().meta({ description: 'The error-budget policy of every SLO (each may override it): min-remaining, burn-rates, fix-label' }),
    rollback: z.union([z.array(rollbackStepSchema), z.strictObject({ steps: z.array(rollbackStepSchema) })]).optional(),
    rollout: rolloutSchema.optional().meta({ description: '`shipgate rollout`: staged traffic shifts with analysis, manual approval and automatic rollback' }),
    publish: z.array(rollbackStepSchema).optional().meta({
      description: 'Steps run by `shipgate run --publish` after a READY full run is recorded',
    }),
    notify: notifySchema.optional().meta({ description: 'Where the decision is sent after the run: Slack, a webhook, a pull-request comment' }),
  })
  .meta({ title: 'shipgate configuration', description: 'Release gates for shipgate (shipgate.yml)' });

/** What users write. */
export type UserConfig = z.input<typeof configSchema>;
export type UserGate = z.input<typeof gateSchema>;
export type { UserProbe } from '../checks/probes.js';
export type UserStep = z.input<typeof rollbackStepSchema>;
export type UserRollout = z.input<typeof rolloutSchema>;

export function jsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

/**
 * `slos:` end to end: the real CLI against a real Prometheus holding 30 days of history backfilled
 * with promtool. A healthy service is READY; a spent budget, a fast burn, a slow latency and a
 * query without data each block; a release labelled as the fix gets through a spent budget.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sloHistory } from '../fixtures/prometheus/backfill.js';
import { hasPrometheus, startPrometheus, type RunningPrometheus } from '../fixtures/prometheus/prometheus.js';
import { gate, makeProject, parseDecision, removeProject, runCli } from './helpers.js';

describe.skipIf(!hasPrometheus)('SLOs and error budgets', () => {
  let prom: RunningPrometheus;
  const dirs: string[] = [];
  beforeAll(async () => {
    const history = sloHistory({
      endSec: Math.floor(Date.now() / 1000),
      days: 30,
      counters: [
        { svc: 'healthy', shape: () => ({ perMin: 1000, errorShare: 0.0001 }) },
        // 0.08% bad against 0.1% allowed: 20% of the budget left, burning slowly everywhere.
        { svc: 'spent', shape: () => ({ perMin: 1000, errorShare: 0.0008 }) },
        // Calm for a month, then 2% errors for the last two hours: the budget is fine, the burn is not.
        { svc: 'burning', shape: (ago) => ({ perMin: 1000, errorShare: ago <= 120 ? 0.02 : 0.00005 }) },
      ],
      gauges: [
        { svc: 'fast', value: () => 0.12 },
        // One point in ten above 200 ms: 10% bad against the 1% a 99% objective allows.
        { svc: 'slow', value: (i) => (i % 10 === 0 ? 0.35 : 0.12) },
      ],
    });
    prom = await startPrometheus({ backfill: history });
  }, 120_000);
  afterAll(async () => {
    await prom?.stop();
    await Promise.all(dirs.map(removeProject));
  });
  const run = async (yml: string, extra: string[] = [], env: Record<string, string> = {}) => {
    const dir = await makeProject({ 'shipgate.yml': yml });
    dirs.push(dir);
    const res = await runCli(['run', '1.0.0', '--no-history', '--json', ...extra], { cwd: dir, env });
    return { dir, res, decision: res.stdout.startsWith('{') ? parseDecision(res.stdout) : undefined };
  };
  const availability = (svc: string, more = '') => `
  availability:
    prometheus: "${prom.url}"
    good: 'svc_requests_total{svc="${svc}",code="200"}'
    total: 'svc_requests_total{svc="${svc}"}'
    objective: 99.9%
    window: 30d${more}`;

  it('honest: a healthy month leaves most of the budget; budget, SLI and burn rates are measured and kept', async () => {
    const { res, decision } = await run(`slos:${availability('healthy')}
  latency-p95:
    prometheus: "${prom.url}"
    query: 'svc_latency_p95_seconds{svc="fast"}'
    max: 200ms
    window: 7d
budget: { min-remaining: 50% }
gates:
  deploy:
    needs: [slos]
    run: "true"
`);
    const g = gate(decision!, 'slos');
    expect(res.code, JSON.stringify(g.checks.filter((c) => !c.ok))).toBe(0);
    expect(decision!.result).toBe('READY');
    expect(gate(decision!, 'deploy').status).toBe('pass');
    const budget = g.checks.find((c) => c.check === 'slo availability: error budget')!;
    expect(budget).toMatchObject({ ok: true });
    // 0.01% bad of 0.1% allowed: about 90% left.
    expect(budget.actual).toMatch(/^(89|90|91)(\.\d+)?% left: /);
    expect(g.checks.filter((c) => c.check.startsWith('slo availability: burn rate')).map((c) => c.check)).toEqual([
      'slo availability: burn rate 1h/5m',
      'slo availability: burn rate 6h/30m',
      'slo availability: burn rate 3d/6h',
    ]);
    expect(g.checks.find((c) => c.check === 'slo latency-p95: error budget')).toMatchObject({ ok: true, actual: expect.stringMatching(/^100% left/) });
    const kept = JSON.parse(await readFile(join(decision!.runDir, 'gate-slos.slos.json'), 'utf8')) as { records: { name: string; data: { queries: { query: string; value: number }[] } }[] };
    expect(kept.records.map((r) => r.name)).toEqual(['availability', 'latency-p95']);
    expect(kept.records[0]!.data.queries[0]!.query).toBe('sum(increase(svc_requests_total{svc="healthy"}[30d]))');
    // About 30 days × 1000 requests a minute.
    expect(kept.records[0]!.data.queries[0]!.value).toBeGreaterThan(40_000_000);
  });

  it('HOSTILE: a budget below the policy blocks the release and the gates that need it; the fix label lets the fix through, warned', async () => {
    const yml = `slos:${availability('spent')}
budget: { min-remaining: 50%, fix-label: fix }
gates:
  deploy:
    needs: [slos]
    run: "true"
`;
    const blocked = await run(yml);
    expect(blocked.res.code).toBe(1);
    const budget = gate(blocked.decision!, 'slos').checks.find((c) => c.check === 'slo availability: error budget')!;
    expect(budget).toMatchObject({ ok: false });
    expect(budget.actual).toMatch(/^(19|20|21)(\.\d+)?% left/);
    expect(blocked.decision!.blockers.join('\n')).toContain('error budget');
    expect(gate(blocked.decision!, 'deploy').status).toBe('not-run');

    const fix = await run(yml, ['--label', 'fix']);
    expect(fix.res.code, fix.res.stdout.slice(0, 2000)).toBe(0);
    expect(fix.decision!.result).toBe('READY');
    expect(fix.decision!.warnings.join('\n')).toMatch(/labelled `fix`/);
    // The label is part of the decision, for whoever reads why this release went through.
    expect(fix.decision!.labels).toEqual(['fix']);

    // Another label is not the fix label.
    const other = await run(yml, ['--label', 'feature']);
    expect(other.res.code).toBe(1);
  });

  it('HOSTILE: a fast burn blocks even with most of the month\'s budget left', async () => {
    const { res, decision } = await run(`slos:${availability('burning')}
budget: { min-remaining: 50% }
gates: {}
`);
    expect(res.code).toBe(1);
    const g = gate(decision!, 'slos');
    expect(g.checks.find((c) => c.check === 'slo availability: error budget')).toMatchObject({ ok: true });
    const fast = g.checks.find((c) => c.check === 'slo availability: burn rate 1h/5m')!;
    expect(fast).toMatchObject({ ok: false, message: expect.stringContaining('burning') });
    // 2% bad against 0.1% allowed: about 20 times the sustainable rate.
    expect(fast.actual).toMatch(/^1h (19|20|21)(\.\d+)?×, 5m (19|20|21)(\.\d+)?×$/);
    expect(g.checks.find((c) => c.check === 'slo availability: burn rate 3d/6h')).toMatchObject({ ok: true });
  });

  it('HOSTILE: latency above max for more than the objective allows blocks; a selector without data blocks, never passes', async () => {
    const { res, decision } = await run(`slos:
  latency-p95:
    prometheus: "${prom.url}"
    query: 'svc_latency_p95_seconds{svc="slow"}'
    max: 200ms
    window: 7d
    budget: { burn-rates: false }
  ghost:
    prometheus: "${prom.url}"
    good: 'svc_requests_total{svc="nosuch",code="200"}'
    total: 'svc_requests_total{svc="nosuch"}'
    objective: 99.9%
gates: {}
`);
    expect(res.code).toBe(1);
    const g = gate(decision!, 'slos');
    const latency = g.checks.find((c) => c.check === 'slo latency-p95: error budget')!;
    expect(latency.ok).toBe(false);
    expect(latency.actual).toMatch(/% left: (9|10|11)(\.\d+)?% bad of \d+ evaluation points, 1% allowed/);
    expect(g.checks.some((c) => c.check.startsWith('slo latency-p95: burn rate'))).toBe(false);
    const ghost = g.checks.filter((c) => c.check.startsWith('slo ghost'));
    expect(ghost.length).toBeGreaterThan(1);
    expect(ghost.every((c) => !c.ok)).toBe(true);
    expect(ghost[0]!.actual).toMatch(/no data/);
    expect(g.checks.find((c) => c.check === 'slo ghost: error budget')).toMatchObject({ ok: false, actual: 'not measured: the SLO window has no data' });
  });

  it('configuration mistakes stop the run with a code and a location', async () => {
    const { res } = await run(`slos:
  mixed:
    prometheus: "${prom.url}"
    good: 'a_total'
    total: 'a_total'
    query: 'x'
    objective: 99%
  perfect:
    prometheus: "${prom.url}"
    good: 'a_total'
    total: 'sum(rate(a_total[5m]))'
    objective: 100%
budget:
  burn-rates: [{ long: 5m, short: 1h, max: 10 }]
gates:
  slos: { run: "true" }
`);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/shipgate\.yml:6:\d+: SLO "mixed" mixes a ratio .*\[CONFIG_VALUE\]/);
    expect(res.stderr).toMatch(/shipgate\.yml:11:\d+: `total` must be a counter selector, not an expression .*\[CONFIG_VALUE\]/);
    expect(res.stderr).toMatch(/shipgate\.yml:12:\d+: objective "100%" leaves no error budget .*\[CONFIG_VALUE\]/);
    expect(res.stderr).toMatch(/the short window must be shorter than the long one .*\[CONFIG_VALUE\]/);
    expect(res.stderr).toMatch(/a gate of that name is already declared/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('HOSTILE: a value carrying PromQL is refused, not spliced into the query; the honest value is judged', async () => {
    const yml = `slos:
  availability:
    prometheus: "${prom.url}"
    good: 'svc_requests_total{svc="\${env.SVC}",code="200"}'
    total: 'svc_requests_total{svc="\${env.SVC}"}'
    objective: 99.9%
gates: {}
`;
    const honest = await run(yml, [], { SVC: 'healthy' });
    expect(honest.res.code, honest.res.stdout.slice(0, 1500)).toBe(0);
    // Closing the selector and adding `or vector(0)` would turn every window into "no bad events".
    const hostile = await run(yml, [], { SVC: 'spent"} or vector(0) or x{a="' });
    expect(hostile.res.code).toBe(1);
    expect(hostile.res.stdout).toContain('could read as part of the query');
  });
});

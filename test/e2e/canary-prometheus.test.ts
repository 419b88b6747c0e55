/**
 * `canary:` from Prometheus, end to end: the real CLI, a real Prometheus scraping a metrics
 * service. The two sides are PromQL over one gauge (as is, and three times it), so the verdict
 * depends on arithmetic, not on timing.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasPrometheus, startPrometheus, type RunningPrometheus } from '../fixtures/prometheus/prometheus.js';
import { gate, makeProject, parseDecision, removeProject, runCli } from './helpers.js';

describe.skipIf(!hasPrometheus)('canary gates over Prometheus', () => {
  let prom: RunningPrometheus;
  const dirs: string[] = [];
  beforeAll(async () => {
    prom = await startPrometheus();
    // Old enough for a 6 s window at a 500 ms step on both sides.
    await prom.waitForScrapes(9);
  }, 60_000);
  afterAll(async () => {
    await prom?.stop();
    await Promise.all(dirs.map(removeProject));
  });

  it('HOSTILE: a canary series three times the baseline blocks; the same series passes; what was asked is kept', async () => {
    const src = (canary: string) => `{ url: "${prom.url}", baseline: "app_latency_seconds", canary: "${canary}", window: 6s, step: 500ms, unit: s }`;
    const dir = await makeProject({
      'shipgate.yml': `gates:
  slower:
    canary: { prometheus: ${src('app_latency_seconds * 3')}, min-samples: 10, max-increase: 2x }
  same:
    canary: { prometheus: ${src('app_latency_seconds + 0')}, min-samples: 10, max-increase: 2x }
    expect: ["metric.canary.value.ratio == 1", "metric.canary.value.canary == 120ms"]
`,
    });
    dirs.push(dir);
    const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir });
    const decision = parseDecision(res.stdout);
    expect(res.code).toBe(1);
    expect(gate(decision, 'slower').status).toBe('fail');
    expect(gate(decision, 'slower').checks.find((c) => c.check === 'canary value')!.actual).toMatch(/^FAIL: .*median 360 ms against 120 ms.*3× the baseline, limit 2×; significant/);
    expect(gate(decision, 'same').status).toBe('pass');
    const kept = JSON.parse(await readFile(join(decision.runDir, 'gate-slower.canary.json'), 'utf8')) as { records: { name: string; data: Record<string, unknown> }[] };
    expect(kept.records.map((r) => r.name)).toEqual(['prometheus', 'canary']);
    expect(kept.records[0]!.data).toMatchObject({ baseline: { query: 'app_latency_seconds', ok: true }, canary: { query: 'app_latency_seconds * 3', ok: true }, window: { stepMs: 500 } });
    expect(kept.records[1]!.data).toMatchObject({ verdict: 'fail', summary: { medianBaseline: 120, medianCanary: 360 } });
  }, 60_000);
});

/**
 * `prometheus:` end to end: the real CLI, a real Prometheus scraping a real metrics service.
 * Queries become metrics the gate's `expect` judges; an empty answer blocks the release even
 * when the gate accepts no data for the query itself; what was asked and answered is kept.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasPrometheus, startPrometheus, type RunningPrometheus } from '../fixtures/prometheus/prometheus.js';
import { freePort, gate, makeProject, parseDecision, q, removeProject, runCli } from './helpers.js';

describe.skipIf(!hasPrometheus)('prometheus gates', () => {
  let prom: RunningPrometheus;
  const dirs: string[] = [];
  beforeAll(async () => {
    prom = await startPrometheus();
    prom.exposed.requests = [{ code: '200', count: 42 }];
    await prom.waitForScrapes(prom.scrapes() + 3);
  });
  afterAll(async () => {
    await prom?.stop();
    await Promise.all(dirs.map(removeProject));
  });
  const run = async (yml: string) => {
    const dir = await makeProject({ 'shipgate.yml': yml });
    dirs.push(dir);
    const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir });
    return { dir, res, decision: res.stdout.startsWith('{') ? parseDecision(res.stdout) : undefined };
  };

  it('honest: queries that answer within the expectations make the release READY, with the answers kept', async () => {
    const { res, decision } = await run(`gates:
  slo:
    prometheus:
      url: "${prom.url}"
      queries:
        requests: "sum(app_requests_total)"
        latency: { query: "app_latency_seconds", unit: s }
    expect: ["metric.requests >= 40", "metric.latency < 200ms"]
`);
    expect(res.code, res.stderr).toBe(0);
    expect(decision!.result).toBe('READY');
    const kept = join(decision!.runDir, 'gate-slo.prometheus.json');
    expect(existsSync(kept)).toBe(true);
    const doc = JSON.parse(await readFile(kept, 'utf8')) as { records: { name: string; data: { query: string; value: number } }[] };
    expect(doc.records.map((r) => [r.name, r.data.query, r.data.value])).toEqual([
      ['requests', 'sum(app_requests_total)', 42],
      ['latency', 'app_latency_seconds', 120],
    ]);
  });

  it('HOSTILE: an empty answer blocks; accepting no data for the query still leaves its expectation without a value', async () => {
    const { res, decision } = await run(`gates:
  errors:
    prometheus:
      url: "${prom.url}"
      queries:
        errors: 'sum(app_requests_total{code="500"})'
  accepted:
    prometheus:
      url: "${prom.url}"
      on-no-data: pass
      queries:
        errors: 'sum(app_requests_total{code="500"})'
    expect: ["metric.errors < 1"]
`);
    expect(res.code).toBe(1);
    expect(decision!.result).toBe('BLOCKED');
    expect(gate(decision!, 'errors').status).toBe('fail');
    expect(decision!.blockers.join('\n')).toContain('errors: prometheus errors: expected one finite number, got no data: the query returned an empty vector');
    expect(gate(decision!, 'accepted').status).toBe('fail');
    expect(gate(decision!, 'accepted').checks.find((c) => c.check === 'metric.errors < 1')).toMatchObject({ ok: false });
  });

  it('HOSTILE: the metric that breaks its expectation blocks', async () => {
    const { res, decision } = await run(`gates:
  slo:
    prometheus: { url: "${prom.url}", queries: { latency: { query: "app_latency_seconds", unit: s } } }
    expect: ["metric.latency < 100ms"]
`);
    expect(res.code).toBe(1);
    expect(gate(decision!, 'slo').checks.find((c) => c.check === 'metric.latency < 100ms')).toMatchObject({ ok: false, actual: '120ms' });
  });

  it('configuration mistakes stop the run with a code and a location', async () => {
    const { res } = await run(`gates:
  slo:
    prometheus:
      url: "${prom.url}"
      window: yesterday
      queries:
        "bad name": "up"
        p95: { query: "up", min-samples: 5 }
`);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/shipgate\.yml:5:15: not a window: "yesterday" \(at gates\.slo\.prometheus\.window\) \[CONFIG_VALUE\]/);
    expect(res.stderr).toMatch(/shipgate\.yml:7:\d+: query name "bad name" cannot be a metric name .*\[CONFIG_VALUE\]/);
    expect(res.stderr).toMatch(/shipgate\.yml:8:\d+: `min-samples` counts the samples of a range query .*\[CONFIG_VALUE\]/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});

describe.skipIf(!hasPrometheus)('prometheus over the load phase of the gate', () => {
  const SERVER = fileURLToPath(new URL('../fixtures/load/server.mjs', import.meta.url));
  let prom: RunningPrometheus;
  let port: number;
  const dirs: string[] = [];
  beforeAll(async () => {
    port = await freePort();
    prom = await startPrometheus({ targets: [`127.0.0.1:${port}`] });
  });
  afterAll(async () => {
    await prom?.stop();
    await Promise.all(dirs.map(removeProject));
  });

  it('window: load queries what Prometheus scraped while the gate loaded its service', async () => {
    const dir = await makeProject({
      'shipgate.yml': `services:
  api:
    run: ${q(`${process.execPath} ${SERVER}`)}
    env: { PORT: "${port}", DELAY_MS: "10" }
    ready: { http: "http://127.0.0.1:${port}/count", timeout: 20s }
gates:
  perf:
    services: [api]
    load: { url: "http://127.0.0.1:${port}/", connections: 4, duration: 4s }
    prometheus:
      url: "${prom.url}"
      window: load
      settle: 2s
      queries:
        served: { query: 'sum(svc_requests_total{job="svc"})', range: true, reduce: last, min-samples: 2 }
        failed: { query: 'sum(svc_requests_total{job="svc",code="500"})', range: true, reduce: max }
    expect: ["metric.served >= 1", "metric.failed == 0", "metric.load.errors.rate == 0"]
`,
    });
    dirs.push(dir);
    const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir, timeoutMs: 90_000 });
    const decision = parseDecision(res.stdout);
    expect(res.code, JSON.stringify(gate(decision, 'perf').checks.filter((c) => !c.ok))).toBe(0);
    const kept = JSON.parse(await readFile(join(decision.runDir, 'gate-perf.prometheus.json'), 'utf8')) as { records: { data: { window: { start: string; end: string } } }[] };
    const load = JSON.parse(await readFile(join(decision.runDir, 'gate-perf.load.json'), 'utf8')) as { records: unknown[] };
    expect(load.records).toHaveLength(1);
    // The window queried is the load phase: a few seconds, not the whole run.
    const w = kept.records[0]!.data.window;
    expect(Date.parse(w.end) - Date.parse(w.start)).toBeGreaterThanOrEqual(3000);
    expect(Date.parse(w.end) - Date.parse(w.start)).toBeLessThan(30_000);
  }, 90_000);

  it('HOSTILE: window: load in a gate without a load check fails, saying so', async () => {
    const dir = await makeProject({
      'shipgate.yml': `gates:
  slo:
    prometheus: { url: "${prom.url}", window: load, queries: { up: "sum(up)" } }
    expect: ["metric.up >= 1"]
`,
    });
    dirs.push(dir);
    const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir });
    expect(res.code).toBe(1);
    expect(gate(parseDecision(res.stdout), 'slo').checks[0]).toMatchObject({ check: 'prometheus window', ok: false, actual: expect.stringContaining('load phase did not happen') });
  });
});

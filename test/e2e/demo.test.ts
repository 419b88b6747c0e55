/**
 * The bundled example (examples/demo) through the real CLI, in a copy whose fixed ports are
 * replaced by free ones: READY as shipped, BLOCKED with its break switch on.
 */
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasPrometheus } from '../fixtures/prometheus/prometheus.js';
import { REPO, freePort, gate, parseDecision, removeProject, runCli } from './helpers.js';

const DEMO = join(REPO, 'examples', 'demo');
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeProject));
});

/**
 * A free port below the kernel's ephemeral range. The demo's services start late in a long run
 * whose load gates open many client connections; a port picked from the ephemeral range may by
 * then be one of those connections' own, and the service would fail to listen on it.
 */
async function quietPort(): Promise<number> {
  const low = Number((await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '32768')).trim().split(/\s+/)[0]);
  for (let i = 0; i < 200; i++) {
    const port = 20000 + Math.floor(Math.random() * Math.max(1000, low - 20000));
    if (await canListen(port)) return port;
  }
  return freePort();
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A copy of the demo without anything an earlier run left in it, on free ports. */
async function demoCopy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'shipgate-demo-'));
  dirs.push(dir);
  const leftovers = ['reports', 'dist', '.shipgate', 'node_modules'];
  await cp(DEMO, dir, {
    recursive: true,
    filter: (src) => !leftovers.includes(relative(DEMO, src).split(sep)[0]!),
  });
  // Every fixed port of the demo, in its config and in its Prometheus' scrape target.
  const ports = new Map<string, string>();
  for (const fixed of ['4100', '4101', '4102', '4103', '4104', '4180', '4191', '6390']) ports.set(fixed, String(await quietPort()));
  // Whole numbers only, in one pass: a free port may contain a fixed one ("41009" holds "4100"),
  // and must neither be rewritten again nor read as a leftover.
  const fixedPort = new RegExp(`(?<!\\d)(${[...ports.keys()].join('|')})(?!\\d)`, 'g');
  for (const file of ['shipgate.yml', join('prometheus', 'prometheus.yml')]) {
    const text = await readFile(join(dir, file), 'utf8');
    await writeFile(join(dir, file), text.replace(fixedPort, (fixed) => ports.get(fixed)!));
  }
  const yml = await readFile(join(dir, 'shipgate.yml'), 'utf8');
  expect(yml.match(fixedPort)).toBeNull();
  for (const free of ports.values()) expect(yml).toContain(free);
  return dir;
}

const PERF = 'load,soak,canary,slo';
const check = (d: ReturnType<typeof parseDecision>, g: string, name: string) => gate(d, g).checks.find((c) => c.check === name);

describe('examples/demo', () => {
  it('is RELEASE READY as shipped (exit 0)', async () => {
    const dir = await demoCopy();
    const res = await runCli(['run', '1.2.3', '-c', join(dir, 'shipgate.yml'), '--no-history', '--local'], { cwd: REPO, timeoutMs: 120_000 });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('RESULT: RELEASE READY');
    expect(res.stdout).toMatch(/unit\s+Unit tests \(\d+\/\d+\)\s+: PASS/);
    expect(res.stdout).toMatch(/live-smoke .*: SKIP \(optional; enable with --with live-smoke\)/);
    // The heavy gates are there, and stay out of the quickstart unless asked for.
    for (const id of ['chaos', 'load', 'soak', 'canary', 'slo']) expect(res.stdout).toMatch(new RegExp(`\\n  ${id} .*: SKIP \\(optional; enable with --with ${id}\\)`));
    expect(existsSync(join(dir, 'dist', 'demo-web-1.2.3.tar.gz'))).toBe(true);
  });

  it('with DEMO_BREAK=1 is RELEASE BLOCKED (exit 1) and names the failing tests', async () => {
    const dir = await demoCopy();
    const res = await runCli(['run', '1.2.3', '-c', join(dir, 'shipgate.yml'), '--no-history', '--local', '--json'], {
      cwd: REPO,
      env: { DEMO_BREAK: '1' },
      timeoutMs: 120_000,
    });
    expect(res.code, res.stderr).toBe(1);
    const d = parseDecision(res.stdout);
    expect(d.result).toBe('BLOCKED');
    const e2e = gate(d, 'api-e2e');
    expect(e2e.status).toBe('fail');
    expect(e2e.failingTests.length).toBeGreaterThan(0);
    expect(e2e.checks.some((c) => !c.ok && c.check.includes('/api/items'))).toBe(true);
    for (const t of e2e.failingTests) expect(res.stderr).toContain(t.id);
    expect(res.stderr).toContain('RESULT: RELEASE BLOCKED');
    expect(gate(d, 'unit').status).toBe('pass');
  });

  describe.skipIf(!hasPrometheus)('its optional load, soak, canary and SLO gates', () => {
    const runPerf = async (only: string, env: Record<string, string> = {}) => {
      const dir = await demoCopy();
      const res = await runCli(['run', '1.2.3', '-c', join(dir, 'shipgate.yml'), '--no-history', '--local', '--json', '--only', only, '--with', only], { cwd: REPO, env, timeoutMs: 120_000 });
      return { res, d: parseDecision(res.stdout) };
    };

    it('are READY on the demo as shipped: each measured what it says', async () => {
      const { res, d } = await runPerf(PERF);
      expect(res.code, JSON.stringify(d.gates.map((g) => [g.id, g.checks.filter((c) => !c.ok)]))).toBe(0);
      expect(d.result).toBe('READY');
      for (const id of PERF.split(',')) expect(gate(d, id).status, id).toBe('pass');
      expect(check(d, 'load', 'load requests completed')!.actual).toMatch(/^\d+ in \d+(\.\d+)? s \(0 failed/);
      expect(check(d, 'soak', 'metric.soak.rss.slope < 30MB/min')!.ok).toBe(true);
      expect(check(d, 'canary', 'canary latency')!.actual).toMatch(/^(PASS|MARGINAL): .*limit 2×/);
      // Prometheus scraped the API's /metrics: the SLO counted the load's requests, not nothing.
      const budget = check(d, 'slo', 'slo availability: error budget')!;
      expect(budget.actual).toMatch(/^100% left: 0% bad of \d+(\.\d+)? events/);
      expect(Number(/of (\d+(?:\.\d+)?) events/.exec(budget.actual)![1])).toBeGreaterThanOrEqual(200);
      expect(check(d, 'slo', 'slo latency-p95: error budget')!.ok).toBe(true);
    }, 150_000);

    it('HOSTILE: a canary build 50 ms slower blocks on the comparison alone', async () => {
      const { res, d } = await runPerf('canary', { DEMO_CANARY_DELAY_MS: '50' });
      expect(res.code, res.stderr).toBe(1);
      const latency = check(d, 'canary', 'canary latency')!;
      expect(latency.ok).toBe(false);
      expect(latency.actual).toMatch(/^FAIL: the canary is worse beyond the limit: .*limit 2×; significant/);
      // Both builds answer: it is the latency, not errors, that blocks.
      expect(check(d, 'canary', 'canary error rate')!.ok).toBe(true);
    }, 150_000);

    it('HOSTILE: with DEMO_BREAK=1 every listing is a 500: the budget is spent (not "no data") and the load counts the errors', async () => {
      const { res, d } = await runPerf('load,slo', { DEMO_BREAK: '1' });
      expect(res.code, res.stderr).toBe(1);
      expect(d.result).toBe('BLOCKED');
      // No good series at all while total has data: every event bad, the whole budget gone.
      const budget = check(d, 'slo', 'slo availability: error budget')!;
      expect(budget.ok).toBe(false);
      expect(budget.actual).toMatch(/^-9900% left: 100% bad of \d+(\.\d+)? events, 1% allowed/);
      expect(check(d, 'slo', 'slo availability: burn rate 1m/10s')!.actual).toMatch(/^1m 100×, 10s 100×/);
      expect(check(d, 'load', 'metric.load.errors.rate == 0')).toMatchObject({ ok: false, actual: '1' });
    }, 150_000);
  });
});

/**
 * `canary:` end to end: the real CLI starts two real services (the old version and the new one,
 * each its own process on a free 127.0.0.1 port), samples both, and decides. No timing decides a
 * test: where the services differ they differ by 50 ms against nothing, a ratio no loaded machine
 * can bring under 2×; where they do not, both wait 5 ms, so a 2× ratio would need 5 ms of
 * difference between two copies of one program. Errors are counted, not timed.
 */
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, gate, makeProject, parseDecision, q, removeProject, runCli } from './helpers.js';

const SERVER = fileURLToPath(new URL('../fixtures/load/server.mjs', import.meta.url));
const SILENT = fileURLToPath(new URL('../fixtures/canary/silent.mjs', import.meta.url));
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map(removeProject)));

async function run(yml: string) {
  const dir = await makeProject({ 'shipgate.yml': yml });
  dirs.push(dir);
  const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir, timeoutMs: 60_000 });
  return { res, decision: res.stdout.startsWith('{') ? parseDecision(res.stdout) : undefined };
}

/** Two services, api-old and api-new, of the load fixture with their own environment. */
async function services(oldEnv: string, newEnv: string) {
  const [a, b] = [await freePort(), await freePort()];
  const svc = (id: string, port: number, env: string) => `  ${id}:
    run: ${q(`${process.execPath} ${SERVER}`)}
    env: { PORT: "${port}"${env} }
    ready: { http: "http://127.0.0.1:${port}/count", timeout: 20s }
`;
  return { old: a, new: b, yml: `services:\n${svc('api-old', a, oldEnv)}${svc('api-new', b, newEnv)}` };
}

const check = (d: NonNullable<Awaited<ReturnType<typeof run>>['decision']>, g: string, name: string) => gate(d, g).checks.find((c) => c.check === name);

describe('canary gates', () => {
  it('HOSTILE: a canary 50 ms slower blocks the release; the reason names the p-value and the effect', async () => {
    const s = await services('', ', DELAY_MS: "50"');
    const { res, decision } = await run(`${s.yml}gates:
  canary:
    services: [api-old, api-new]
    canary:
      baseline: "http://127.0.0.1:${s.old}/items"
      canary: "http://127.0.0.1:${s.new}/items"
      requests: 40
      max-increase: 2x
`);
    expect(res.code, res.stderr).toBe(1);
    expect(decision!.result).toBe('BLOCKED');
    const c = check(decision!, 'canary', 'canary latency')!;
    expect(c.ok).toBe(false);
    expect(c.actual).toMatch(/^FAIL: the canary is worse beyond the limit: median \d+(\.\d+)? ms against \d+(\.\d+)? ms, shift \+\d+(\.\d+)? ms \(Hodges–Lehmann\): \d+(\.\d+)?× the baseline, limit 2×; significant, p < 1e-6 \(Mann-Whitney U = 1600, normal, n = 40 \+ 40\)/);
    expect(decision!.blockers.join('\n')).toMatch(/canary: canary latency: .*× the baseline, limit 2×; significant, p < 1e-6/);
    const kept = JSON.parse(await readFile(join(decision!.runDir, 'gate-canary.canary.json'), 'utf8')) as { records: { data: { baseline: { n: number }; canary: { n: number; attempted: number }; summary: { u: number; ratio: number }; samples: { canary: number[] } } }[] };
    const data = kept.records[0]!.data;
    expect([data.baseline.n, data.canary.n, data.canary.attempted, data.summary.u]).toEqual([40, 40, 40, 1600]);
    expect(data.summary.ratio).toBeGreaterThan(2);
    // The kept samples are the real latencies. A timer may fire a fraction of a millisecond
    // before its time as measured by the sampling clock, so the bound leaves room below 50 ms.
    expect(Math.min(...data.samples.canary)).toBeGreaterThanOrEqual(45);
  }, 60_000);

  it('honest: two copies of one service are READY, with the metrics for expect', async () => {
    const s = await services(', DELAY_MS: "5"', ', DELAY_MS: "5"');
    const { res, decision } = await run(`${s.yml}gates:
  canary:
    services: [api-old, api-new]
    canary:
      baseline: "http://127.0.0.1:${s.old}/items"
      canary: { url: "http://127.0.0.1:${s.new}/items", headers: { x-release: "\${version}" } }
      requests: 40
      max-increase: 2x
    expect: ["metric.canary.latency.ratio < 2", "metric.canary.errors.rate == 0", "metric.canary.samples >= 40", "metric.canary.latency.canary >= 4ms"]
`);
    expect(res.code, JSON.stringify(decision?.gates.map((g) => g.checks.filter((c) => !c.ok)))).toBe(0);
    expect(decision!.result).toBe('READY');
    // PASS, or at most a warning: two processes of one program may differ a little, significantly.
    expect(check(decision!, 'canary', 'canary latency')!.actual).toMatch(/^(PASS|MARGINAL): .*× the baseline, limit 2×/);
    expect(check(decision!, 'canary', 'canary error rate')).toMatchObject({ ok: true, expected: '< 1%' });
  }, 60_000);

  it('HOSTILE: under load, a canary that serialises its requests blocks, while one request at a time it looks as fast as the baseline', async () => {
    // 3 ms a request either way; the canary holds one lock for it, so 8 connections queue behind it.
    const s = await services(', DELAY_MS: "3"', ', SERIAL_MS: "3"');
    const target = `baseline: "http://127.0.0.1:${s.old}/items"
      canary: "http://127.0.0.1:${s.new}/items"
      max-increase: 2x`;
    const { res, decision } = await run(`${s.yml}gates:
  sequential:
    services: [api-old, api-new]
    canary:
      ${target}
      requests: 40
  loaded:
    needs: [sequential]
    services: [api-old, api-new]
    canary:
      ${target}
      load: { connections: 8, duration: 4s }
`);
    expect(res.code, res.stderr).toBe(1);
    // One at a time the lock is never contended: not a failure (at most a warning).
    expect(check(decision!, 'sequential', 'canary latency')!.actual).toMatch(/^(PASS|MARGINAL): /);
    expect(gate(decision!, 'sequential').status).not.toBe('fail');
    const loaded = check(decision!, 'loaded', 'canary latency')!;
    expect(loaded).toMatchObject({ ok: false });
    expect(loaded.actual).toMatch(/^FAIL: the canary is worse beyond the limit: .*limit 2×; significant, p < 1e-6 \(Mann-Whitney U = \d+, normal, n = \d+ \+ \d+\)/);
    expect(gate(decision!, 'loaded').status).toBe('fail');
    // The generator said what it did for each side.
    expect(check(decision!, 'loaded', 'canary load baseline: requests completed')!.actual).toMatch(/^\d+ in \d+\.\d s \(0 failed/);
    expect(check(decision!, 'loaded', 'canary load canary: requests completed')).toMatchObject({ ok: true });
    const kept = JSON.parse(await readFile(join(decision!.runDir, 'gate-loaded.canary.json'), 'utf8')) as { records: { data: { sampling: { stoppedBy: string; slices: { side: string }[] } } }[] };
    // ABBA: whatever drifts during the run falls on both sides alike.
    expect(kept.records[0]!.data.sampling.stoppedBy).toBe('load');
    expect(kept.records[0]!.data.sampling.slices.map((x) => x.side)).toEqual(['baseline', 'canary', 'canary', 'baseline']);
  }, 90_000);

  it('honest: under load, two copies of one service are READY', async () => {
    const s = await services(', DELAY_MS: "5"', ', DELAY_MS: "5"');
    const { res, decision } = await run(`${s.yml}gates:
  canary:
    services: [api-old, api-new]
    canary:
      baseline: "http://127.0.0.1:${s.old}/items"
      canary: "http://127.0.0.1:${s.new}/items"
      load: { connections: 4, duration: 4s, warmup: 500ms }
      max-increase: 2x
    expect: ["metric.canary.samples >= 100", "metric.canary.errors.rate == 0"]
`);
    expect(res.code, JSON.stringify(decision?.gates.map((g) => g.checks.filter((c) => !c.ok)))).toBe(0);
    expect(check(decision!, 'canary', 'canary latency')!.actual).toMatch(/^(PASS|MARGINAL): .*limit 2×/);
    expect(check(decision!, 'canary', 'canary error rate')).toMatchObject({ ok: true, actual: expect.stringMatching(/^0\.00% \(0 of \d+ failed/) });
  }, 90_000);

  it('marginal: significantly slower but within the limit only warns by default (the gate passes); on-marginal: fail blocks the same canary', async () => {
    // 10 ms against 14 ms: far beyond what chance explains in 60 pairs, far below 2×.
    const s = await services(', DELAY_MS: "10"', ', DELAY_MS: "14"');
    const gateYml = (id: string, extra: string) => `  ${id}:
    services: [api-old, api-new]
    canary: { baseline: "http://127.0.0.1:${s.old}/", canary: "http://127.0.0.1:${s.new}/", requests: 60, max-increase: 2x${extra} }
`;
    const { res, decision } = await run(`${s.yml}gates:\n${gateYml('lenient', '')}${gateYml('strict', ', on-marginal: fail')}`);
    expect(res.code).toBe(1);
    expect(gate(decision!, 'lenient').status).toBe('pass');
    expect(check(decision!, 'lenient', 'canary latency')).toMatchObject({ ok: false, severity: 'warn', actual: expect.stringMatching(/^MARGINAL: the canary is significantly worse, but within the limit/) });
    expect(decision!.warnings.join('\n')).toMatch(/lenient: marginal: 1\.\d+× against a limit of 2×, p [<=] [\d.e-]+ — significant, within the limit; on-marginal: warn/);
    expect(gate(decision!, 'strict').status).toBe('fail');
    expect(check(decision!, 'strict', 'canary latency')).toMatchObject({ ok: false, actual: expect.stringMatching(/^MARGINAL/) });
    expect(check(decision!, 'strict', 'canary latency')!.severity).toBeUndefined();
  }, 60_000);

  it('HOSTILE: a fast canary answering 500 to one request in 20 blocks on its error rate; a limit of < 10% lets the same canary pass', async () => {
    // Each gate its own canary process: gates run side by side, and one counter shared by two
    // gates would spread the failures between them as the scheduler pleases.
    const s = await services(', DELAY_MS: "5"', ', DELAY_MS: "5", FAIL_EVERY: "20"');
    const second = await freePort();
    const gateYml = (id: string, svc: string, port: number, limit: string) => `  ${id}:
    services: [api-old, ${svc}]
    canary:
      baseline: "http://127.0.0.1:${s.old}/items"
      canary: "http://127.0.0.1:${port}/items"
      requests: 60
      error-rate: "${limit}"
      max-increase: 2x
`;
    const { res, decision } = await run(`${s.yml}  api-new-2:
    run: ${q(`${process.execPath} ${SERVER}`)}
    env: { PORT: "${second}", DELAY_MS: "5", FAIL_EVERY: "20" }
    ready: { http: "http://127.0.0.1:${second}/count", timeout: 20s }
gates:\n${gateYml('strict', 'api-new', s.new, '< 1%')}${gateYml('lenient', 'api-new-2', second, '< 10%')}`);
    expect(res.code).toBe(1);
    const strict = check(decision!, 'strict', 'canary error rate')!;
    expect(strict).toMatchObject({ ok: false, expected: '< 1%' });
    // 5 warm-up requests (1..5), then 6..65 recorded: the 20th, 40th and 60th answer 500.
    expect(strict.actual).toMatch(/^5\.00% \(3 of 60 failed: 3 non-2xx, 0 errors, 0 timeouts\)/);
    expect(gate(decision!, 'strict').status).toBe('fail');
    // pass, or a warning if the two copies differ a little yet significantly: never blocked
    expect(['pass', 'warn']).toContain(gate(decision!, 'lenient').status);
    expect(check(decision!, 'lenient', 'canary error rate')).toMatchObject({ ok: true, actual: expect.stringMatching(/^5\.00% /) });
  }, 60_000);

  it('HOSTILE: a canary nobody answers for, or one that never answers, blocks: zero samples are never READY, whatever the limits allow', async () => {
    const s = await services('', '');
    const [nobody, silent] = [await freePort(), await freePort()];
    const { res, decision } = await run(`${s.yml}  silent:
    run: ${q(`${process.execPath} ${SILENT}`)}
    env: { PORT: "${silent}" }
    ready: { http: "http://127.0.0.1:${silent}/ready", timeout: 20s }
gates:
  unreachable:
    services: [api-old]
    canary:
      baseline: "http://127.0.0.1:${s.old}/items"
      canary: "http://127.0.0.1:${nobody}/items"
      requests: 20
      error-rate: "<= 100%"
      on-marginal: pass
  hanging:
    services: [api-old, silent]
    canary:
      baseline: "http://127.0.0.1:${s.old}/items"
      canary: "http://127.0.0.1:${silent}/items"
      requests: 20
      warmup: 0
      timeout: 100ms
      on-marginal: pass
`);
    expect(res.code).toBe(1);
    expect(decision!.result).toBe('BLOCKED');
    const unreachable = check(decision!, 'unreachable', 'canary latency')!;
    expect(unreachable).toMatchObject({ ok: false });
    expect(unreachable.actual).toBe('FAIL: too few samples to compare: baseline 20, canary 0, at least 20 each needed; no data is never a pass');
    expect(check(decision!, 'unreachable', 'canary error rate')!.actual).toMatch(/^100\.00% \(20 of 20 failed: 0 non-2xx, 20 errors, 0 timeouts; first error: ECONNREFUSED/);
    expect(check(decision!, 'hanging', 'canary error rate')!.actual).toMatch(/^100\.00% \(20 of 20 failed: 0 non-2xx, 0 errors, 20 timeouts\)/);
    expect(check(decision!, 'hanging', 'canary latency')).toMatchObject({ ok: false, actual: expect.stringContaining('canary 0, at least 20') });
  }, 60_000);

  it('HOSTILE: a server left on the canary\'s port is refused before any traffic reaches it', async () => {
    const s = await services('', '');
    const stale = await freePort();
    let asked = 0;
    const stray = createServer((_, r) => {
      asked++;
      r.end('stale release');
    });
    await new Promise<void>((r) => stray.listen(stale, '127.0.0.1', r));
    try {
      const { res, decision } = await run(`${s.yml}gates:
  canary:
    services: [api-old, api-new]
    canary: { baseline: "http://127.0.0.1:${s.old}/", canary: "http://127.0.0.1:${stale}/", requests: 20 }
`);
      expect(res.code).toBe(1);
      expect(gate(decision!, 'canary').checks[0]!.actual).toMatch(/PROBE_PORT_FOREIGN/);
      expect(asked).toBe(0);
    } finally {
      await new Promise((r) => stray.close(r));
    }
  }, 60_000);

  it('configuration mistakes stop the run with codes and locations, before anything starts', async () => {
    const { res } = await run(`gates:
  a:
    canary:
      baseline: "http://127.0.0.1:1/"
      canary: "http://127.0.0.1:1/"
      max-increase: 0.5x
      error-rate: "1%"
  b:
    canary: { baseline: "http://127.0.0.1:1/", canary: "http://127.0.0.1:2/", requests: 0, metric: size }
  c:
    canary: { baseline: "http://127.0.0.1:1/", requests: 10, alpha: 0 }
`);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/shipgate\.yml:5:\d+: the baseline and the canary are the same request.*\(at gates\.a\.canary\.canary\) \[CONFIG_VALUE\]/);
    expect(res.stderr).toMatch(/shipgate\.yml:6:\d+: max-increase "0\.5x" is below 1x.*\[CONFIG_VALUE\]/);
    expect(res.stderr).toMatch(/shipgate\.yml:7:\d+: not an error-rate limit: "1%".*\[CONFIG_VALUE\]/);
    expect(res.stderr).toMatch(/shipgate\.yml:9:\d+: .*\(at gates\.b\.canary\.requests\)/);
    expect(res.stderr).toMatch(/shipgate\.yml:9:\d+: .*\(at gates\.b\.canary\.metric\)/);
    expect(res.stderr).toMatch(/a canary check needs both `baseline` and `canary`; `canary` is missing \(at gates\.c\.canary\) \[CONFIG_VALUE\]/);
    expect(res.stderr).toMatch(/requests 10 per side can never reach min-samples 20.*\(at gates\.c\.canary\.requests\) \[CONFIG_VALUE\]/);
    expect(res.stderr).toMatch(/must be more than 0 \(at gates\.c\.canary\.alpha\) \[CONFIG_VALUE\]/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});

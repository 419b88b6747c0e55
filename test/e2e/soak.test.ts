/**
 * `soak:` end to end: the real CLI loads a real service while sampling its process tree. A service
 * that leaks is caught; one that fills a cache and then levels off is not. The margins are wide
 * (a leak of 600 MB/min against a limit of 100 MB/min; a cache that stops growing before the
 * warm-up ends), so the verdicts do not hang on this machine's speed.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, gate, makeProject, parseDecision, q, removeProject, runCli } from './helpers.js';

const SERVER = fileURLToPath(new URL('../fixtures/load/server.mjs', import.meta.url));
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map(removeProject)));

async function soak(env: string) {
  const port = await freePort();
  const dir = await makeProject({
    'shipgate.yml': `services:
  api:
    run: ${q(`${process.execPath} ${SERVER}`)}
    env: { PORT: "${port}", DELAY_MS: "5"${env} }
    ready: { http: "http://127.0.0.1:${port}/count", timeout: 20s }
gates:
  soak:
    services: [api]
    load: { url: "http://127.0.0.1:${port}/", connections: 2, duration: 8s }
    soak: { service: api, interval: 250ms, warmup: 3s }
    expect: ["metric.soak.rss.slope < 100MB/min", "metric.load.errors.rate == 0"]
`,
  });
  dirs.push(dir);
  const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir, timeoutMs: 90_000 });
  const decision = parseDecision(res.stdout);
  const slope = gate(decision, 'soak').checks.find((c) => c.check === 'metric.soak.rss.slope < 100MB/min')!;
  return { res, decision, slope };
}

describe('soak gates', () => {
  it('HOSTILE: a service that leaks 10 MB a second is caught', async () => {
    const { res, slope } = await soak(', LEAK_MB_PER_S: "10"');
    expect(res.code).toBe(1);
    expect(slope).toMatchObject({ ok: false });
  }, 90_000);

  it('honest: a service that fills a 60 MB cache and then levels off passes', async () => {
    const { res, slope, decision } = await soak(', CACHE_MB: "60"');
    expect(res.code, JSON.stringify(gate(decision, 'soak').checks.filter((c) => !c.ok))).toBe(0);
    expect(slope).toMatchObject({ ok: true });
  }, 90_000);

  it('a soak without load is a configuration error', async () => {
    const dir = await makeProject({ 'shipgate.yml': 'services:\n  api: { run: "sleep 5" }\ngates:\n  s:\n    services: [api]\n    soak: { service: api }\n' });
    dirs.push(dir);
    const res = await runCli(['run', '1.0.0', '--no-history'], { cwd: dir });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/samples while the gate's `load` runs.*\[CONFIG_VALUE\]/);
  });
});

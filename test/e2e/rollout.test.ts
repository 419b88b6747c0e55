/**
 * `shipgate rollout` end to end: a local "router" (an HTTP server in this test) sends each request
 * to the old or the new version by the weight the stages set; the traffic-shift command is a real
 * process that tells it the weight. A healthy new version goes 10% → 50%, waits for an approval at
 * 50%, and resumes to 100% once approved; a broken one is rolled back automatically after its first
 * analysis, and the time from the failed check to the rollback done is measured and recorded.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitAll, makeGitProject, sg } from './history-helpers.js';
import { removeProject } from './helpers.js';

interface Router {
  port: number;
  /** Every weight the shift command set, in order. */
  weights: number[];
  /** The new version answers 500 when broken. */
  broken: boolean;
  reset(): void;
  close(): Promise<void>;
}

/** Deterministic weighting: request n goes to the new version when ⌊(n+1)·w/100⌋ > ⌊n·w/100⌋. */
async function startRouter(): Promise<Router> {
  let weight = 0;
  let n = 0;
  const state = { weights: [] as number[], broken: false };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST' && url.pathname === '/weight') {
      weight = Number(url.searchParams.get('w'));
      state.weights.push(weight);
      res.writeHead(204).end();
      return;
    }
    const toNew = Math.floor(((n + 1) * weight) / 100) > Math.floor((n * weight) / 100);
    n++;
    if (toNew && state.broken) res.writeHead(500).end('new version failed');
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ version: toNew ? 'new' : 'old' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    get weights() {
      return state.weights;
    },
    get broken() {
      return state.broken;
    },
    set broken(v: boolean) {
      state.broken = v;
    },
    reset() {
      state.weights.length = 0;
      weight = 0;
      n = 0;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const SHIFT = `const w = process.env.SHIPGATE_WEIGHT;
const res = await fetch(process.argv[2] + '/weight?w=' + w, { method: 'POST' });
if (res.status !== 204) process.exit(1);
`;

const config = (port: number) => `name: rollout-demo
gates:
  unit: { run: "true" }
  canary-health:
    optional: true
    external: true
    load: { url: "http://127.0.0.1:${port}/api", rate: 100/s, duration: 1s, connections: 2, inconclusive: warn }
    expect: ["metric.load.errors.rate < 1%"]
rollout:
  run: node shift.mjs http://127.0.0.1:${port}
  stages:
    - { weight: 10%, hold: 2s, interval: 1s, analysis: [canary-health] }
    - { weight: 50%, analysis: [canary-health], approve: manual, manual: { approvers: [alice] } }
    - { weight: 100% }
`;

describe('shipgate rollout', () => {
  let router: Router;
  const dirs: string[] = [];
  beforeAll(async () => {
    router = await startRouter();
  });
  afterAll(async () => {
    await router?.close();
    await Promise.all(dirs.map(removeProject));
  });
  const project = async () => {
    const { dir } = await makeGitProject({ 'shipgate.yml': config(router.port), 'shift.mjs': SHIFT });
    dirs.push(dir);
    return dir;
  };

  it('stages 10% → 50%, pauses for the approval at 50%, refuses a self-approval, and resumes to 100% once approved', async () => {
    router.reset();
    router.broken = false;
    const dir = await project();
    // No READY run of the version: no traffic goes to it.
    const refused = await sg(dir, ['rollout', '1.0.0', '--by', 'bob']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('has no READY, full, clean run recorded');
    expect(router.weights).toEqual([]);

    expect((await sg(dir, ['run', '1.0.0'])).code).toBe(0);
    const first = await sg(dir, ['rollout', '1.0.0', '--by', 'bob']);
    expect(first.code, first.stdout + first.stderr).toBe(1);
    expect(first.stdout).toContain('ROLLOUT PAUSED at rollout-50 (50%)');
    expect(first.stdout).toContain('shipgate approve rollout-50 --by NAME --version 1.0.0');
    // At least two analyses in the 10% hold (at its start, and one that begins once the hold is
    // over, however slow each is), one at 50%.
    expect(first.stdout.match(/OK {3}analysis \d: READY/g)?.length).toBeGreaterThanOrEqual(3);
    expect(router.weights).toEqual([10, 50]);

    // Nothing approved yet: running it again does not move traffic.
    const still = await sg(dir, ['rollout', '1.0.0', '--by', 'bob']);
    expect(still.code).toBe(1);
    expect(still.stdout).toContain('ROLLOUT PAUSED at rollout-50');
    expect(router.weights).toEqual([10, 50]);

    // Only alice may approve; and whoever runs the rollout is never their own approver.
    expect((await sg(dir, ['approve', 'rollout-50', '--by', 'mallory', '--version', '1.0.0'])).code).toBe(2);
    expect((await sg(dir, ['approve', 'rollout-50', '--by', 'alice', '--version', '1.0.0'])).code).toBe(0);
    const self = await sg(dir, ['rollout', '1.0.0', '--by', 'alice']);
    expect(self.code).toBe(1);
    expect(self.stdout).toMatch(/ROLLOUT PAUSED at rollout-50 .*alice/);
    expect(router.weights).toEqual([10, 50]);

    const resumed = await sg(dir, ['rollout', '1.0.0', '--by', 'bob']);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('ROLLOUT DONE: 1.0.0 takes 100% of traffic');
    // Resumed after the approved stage: 10% and 50% were not shifted again.
    expect(router.weights).toEqual([10, 50, 100]);

    // Done is done: a third run changes nothing.
    const again = await sg(dir, ['rollout', '1.0.0', '--by', 'bob']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('ROLLOUT DONE already');
    expect(router.weights).toEqual([10, 50, 100]);

    // Without `external: true`, a loopback listener the gate did not start never answers for the release.
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${dir}/shipgate.yml`, config(router.port).replace('    external: true\n', ''));
    const own = await sg(dir, ['run', '1.0.0', '--only', 'canary-health', '--with', 'canary-health', '--no-history']);
    expect(own.code).toBe(1);
    expect(own.stdout + own.stderr).toContain('PROBE_PORT_FOREIGN');

    const history = await sg(dir, ['history', '--json']);
    const actions = (JSON.parse(history.stdout) as { actions: { kind: string; result: string; steps: { title: string }[] }[] }).actions;
    expect(actions.filter((a) => a.kind === 'rollout').map((a) => a.result)).toEqual(['done', 'paused']);
  }, 120_000);

  it('HOSTILE: a new version that fails at 10% is rolled back at once — traffic back to 0%, the rollback timed and recorded', async () => {
    router.reset();
    router.broken = true;
    const dir = await project();
    expect((await sg(dir, ['run', '2.0.0'])).code).toBe(0);
    const res = await sg(dir, ['rollout', '2.0.0', '--by', 'bob']);
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(res.stdout).toMatch(/FAIL analysis 1: BLOCKED — canary-health: /);
    expect(res.stdout).toMatch(/ROLLED BACK 2\.0\.0 at rollout-10 \(10%\): analysis 1 at 10%: .* Rollback done [\d.]+ ?m?s after the failed check/);
    // Never further than the stage that failed; back to no traffic.
    expect(router.weights).toEqual([10, 0]);
    const history = await sg(dir, ['history', '--json']);
    const rollout = (JSON.parse(history.stdout) as { actions: { kind: string; result: string; steps: { title: string; ok: boolean; durationMs: number }[] }[] }).actions.find((a) => a.kind === 'rollout')!;
    expect(rollout.result).toBe('rolled-back');
    const back = rollout.steps.at(-1)!;
    expect(back).toMatchObject({ title: 'rollback after rollout-10', ok: true });
    // The seeds' goal: under two minutes from the failed check to the rollback done.
    expect(back.durationMs).toBeLessThan(120_000);

    // Fixed, the same version starts again from the first stage (a rollback is not a pause).
    router.broken = false;
    router.reset();
    const retry = await sg(dir, ['rollout', '2.0.0', '--by', 'bob']);
    expect(retry.stdout).toContain('ROLLOUT PAUSED at rollout-50');
    expect(router.weights).toEqual([10, 50]);
  }, 120_000);

  it('HOSTILE: a traffic shift that fails rolls back; configuration mistakes are refused with locations', async () => {
    router.reset();
    router.broken = false;
    const dir = await project();
    const bad = `gates:
  unit: { run: "true" }
  sign: { manual: {} }
rollout:
  stages:
    - { weight: 50%, analysis: [unti, sign] }
    - { weight: 40%, run: "true", interval: 5s }
    - { id: unit, weight: 90%, run: "true", manual: { approvers: [a] } }
`;
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${dir}/shipgate.yml`, bad);
    const res = await sg(dir, ['validate']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/shipgate\.yml:6:\d+: stage 1 has no traffic-shift command/);
    expect(res.stderr).toMatch(/unknown gate "unti" in analysis .*\n\s+hint: did you mean "unit"\?/);
    expect(res.stderr).toMatch(/gate "sign" is a manual gate: it cannot be an analysis/);
    expect(res.stderr).toMatch(/weight "40%" is not above the stage before \(50%\)/);
    expect(res.stderr).toMatch(/`interval` is how often the analysis runs during `hold`, and there is no hold/);
    expect(res.stderr).toMatch(/stage id "unit" is also a gate id/);
    expect(res.stderr).toMatch(/`manual` describes the approval of a stage with `approve: manual`/);
    expect(res.stderr).toMatch(/the last stage sends 90% of traffic, not 100%/);

    await writeFile(`${dir}/shipgate.yml`, `gates:
  unit: { run: "true" }
rollout:
  run: node shift.mjs http://127.0.0.1:${router.port}
  stages:
    - { weight: 10% }
    - { weight: 100%, run: "exit 3" }
`);
    commitAll(dir, 'a stage whose shift fails');
    expect((await sg(dir, ['run', '3.0.0'])).code).toBe(0);
    const shifted = await sg(dir, ['rollout', '3.0.0', '--by', 'bob']);
    expect(shifted.code).toBe(1);
    expect(shifted.stdout).toMatch(/ROLLED BACK 3\.0\.0 at rollout-100 \(100%\): the traffic shift to 100% failed/);
    // The default rollback is the rollout's shift command with SHIPGATE_WEIGHT=0 (not the stage's own, which just failed).
    expect(router.weights).toEqual([10, 0]);
  }, 120_000);
});

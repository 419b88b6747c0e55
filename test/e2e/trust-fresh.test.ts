/**
 * Fresh evidence only, steady state, and every verdict explained — through the real CLI.
 * Yesterday's tar never passes for today's build, an old or future-stamped report never stands for
 * this run, an endpoint that fails two calls in three never passes `consecutive: 5`; and a
 * failing gate says what failed: findings with file:line, failed k6 thresholds, the least-covered
 * files, the body a probe got, every failed check in "Blocked because", the log of the service
 * that failed.
 */
import { existsSync } from 'node:fs';
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  freePort,
  gate,
  killLeftovers,
  makeProject,
  nodeCmd,
  parseDecision,
  q,
  recordedPids,
  removeProject,
  runCli,
  startCli,
  waitForFile,
} from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeProject));
});
let current: string | undefined;
afterEach(async () => {
  if (current && existsSync(current)) killLeftovers(await recordedPids(current));
  current = undefined;
});

async function project(files: Record<string, string>): Promise<string> {
  const dir = await makeProject(files);
  dirs.push(dir);
  current = dir;
  return dir;
}

async function run(dir: string, extra: string[] = []) {
  const res = await runCli(['run', '1.0.0', '--no-history', '--json', ...extra], { cwd: dir });
  return { res, decision: parseDecision(res.stdout) };
}

const HOUR = 3_600_000;
async function age(dir: string, rel: string, offsetMs: number): Promise<void> {
  const t = new Date(Date.now() + offsetMs);
  await utimes(join(dir, rel), t, t);
}

describe('fresh artifacts', () => {
  const cfg = (fresh = '') => `gates:
  build:
    run: node -e "0"
    artifacts: [{ path: "dist/app-*.tar"${fresh} }]
`;

  it("yesterday's artifact never passes for today's build; one written by the gate does; fresh: false accepts it", async () => {
    const dir = await project({ 'shipgate.yml': cfg(), 'dist/app-1.0.0.tar': 'x'.repeat(100) });
    await age(dir, 'dist/app-1.0.0.tar', -24 * HOUR);
    const stale = await run(dir);
    expect(stale.res.code).toBe(1);
    const c = gate(stale.decision, 'build').checks.find((x) => x.check === 'artifact dist/app-1.0.0.tar written during this run')!;
    expect(c).toMatchObject({ ok: false, actual: expect.stringMatching(/^last written .* before this run started$/) });
    expect(c.message).toContain('left over from an earlier build');

    await writeFile(join(dir, 'shipgate.yml'), cfg().replace('node -e "0"', `node -e "require('fs').writeFileSync('dist/app-1.0.0.tar', 'y'.repeat(100))"`));
    expect((await run(dir)).res.code).toBe(0);

    await writeFile(join(dir, 'shipgate.yml'), cfg(', fresh: false'));
    await age(dir, 'dist/app-1.0.0.tar', -24 * HOUR);
    expect((await run(dir)).res.code).toBe(0);
  });

  it('an artifact stamped more than 5 minutes in the future is suspect', async () => {
    const dir = await project({ 'shipgate.yml': cfg(), 'dist/app-1.0.0.tar': 'x'.repeat(100) });
    await age(dir, 'dist/app-1.0.0.tar', 2 * HOUR);
    const future = await run(dir);
    expect(future.res.code).toBe(1);
    expect(gate(future.decision, 'build').checks.find((x) => x.check.endsWith('written during this run'))!.actual).toMatch(/in the future/);
    // Just past the bound is suspect too; within it (a clock a little ahead) is not.
    await age(dir, 'dist/app-1.0.0.tar', 7 * 60_000);
    expect((await run(dir)).res.code).toBe(1);
    await age(dir, 'dist/app-1.0.0.tar', 3 * 60_000);
    const ahead = await run(dir);
    expect(ahead.res.code, JSON.stringify(gate(ahead.decision, 'build').checks)).toBe(0);
  });
});

describe('reports a gate reads from outside the run', () => {
  const junit = '<testsuite name="s"><testcase classname="a" name="b"/></testsuite>\n';
  const cfg = (extra = '', entry = '"reports/unit.xml"') => `gates:
  imported:
    reports: [${entry}]
${extra}`;

  it('are accepted no older than max-age (default 1h, per gate or per report)', async () => {
    const dir = await project({ 'shipgate.yml': cfg(), 'reports/unit.xml': junit });
    await age(dir, 'reports/unit.xml', -10 * 60_000);
    expect((await run(dir)).res.code).toBe(0);

    await age(dir, 'reports/unit.xml', -2 * HOUR);
    const old = await run(dir);
    expect(old.res.code).toBe(1);
    expect(gate(old.decision, 'imported').checks[0]!.actual).toMatch(/more than 60 min ago \(max-age\): it is too old to stand for this run \(.*\) \[EVIDENCE_STALE\]/);

    await writeFile(join(dir, 'shipgate.yml'), cfg('    max-age: 3h\n'));
    expect((await run(dir)).res.code).toBe(0);
    await writeFile(join(dir, 'shipgate.yml'), cfg('', '{ path: "reports/unit.xml", max-age: 30m }').replace('max-age: 30m', 'max-age: 3h'));
    expect((await run(dir)).res.code).toBe(0);
    await writeFile(join(dir, 'shipgate.yml'), cfg('    max-age: 3h\n', '{ path: "reports/unit.xml", max-age: 30m }'));
    expect((await run(dir)).res.code).toBe(1);
  });

  it('a report stamped in the future is refused like an old one', async () => {
    const dir = await project({ 'shipgate.yml': cfg(), 'reports/unit.xml': junit });
    await age(dir, 'reports/unit.xml', 30 * 60_000);
    const future = await run(dir);
    expect(future.res.code).toBe(1);
    expect(gate(future.decision, 'imported').checks[0]!.actual).toMatch(/in the future: it was not written by this run .*\[EVIDENCE_STALE\]/);
  });
});

describe('steady state, not one lucky answer', () => {
  // Each run removes the pid file first: the one the previous run's server wrote would make the
  // next service "ready" before it listens.
  const cfg = (port: number, probe: string) => `services:
  api:
    run: ${q(`rm -f api.pid && exec ${nodeCmd('flappy-server.mjs', String(port), 'api.pid', '${env.MODE}')}`)}
    ready: { command: "test -f api.pid", timeout: 10s }
gates:
  health:
    services: [api]
    probes:
      - { get: "http://127.0.0.1:${port}/health", status: 200, ${probe} }
`;

  it('an endpoint that fails two calls in three never passes consecutive: 5; a steady one does', async () => {
    const port = await freePort();
    const dir = await project({ 'shipgate.yml': cfg(port, 'consecutive: 5, retry: { deadline: 3s, interval: 20ms }') });
    const flappy = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir, env: { MODE: 'flappy' } });
    expect(flappy.code).toBe(1);
    const steady = gate(parseDecision(flappy.stdout), 'health').checks.find((c) => c.check.endsWith('steady state'))!;
    expect(steady).toMatchObject({ ok: false, expected: '5 passing answers in a row', actual: expect.stringMatching(/^at most 1 in a row; \d+ of \d+ answers failed$/) });
    expect(steady.message).toMatch(/last failure: GET .* status: expected 200, got 500/);

    const ok = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir, env: { MODE: 'steady' } });
    expect(ok.code, ok.stderr).toBe(0);
    expect(gate(parseDecision(ok.stdout), 'health').checks.find((c) => c.check.endsWith('steady state'))).toMatchObject({ ok: true, actual: expect.stringMatching(/^5 in a row/) });
  });

  it('min-duration: passing answers must span the duration', async () => {
    const port = await freePort();
    const dir = await project({ 'shipgate.yml': cfg(port, 'min-duration: 500ms, retry: { deadline: 3s, interval: 50ms }') });
    const ok = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir, env: { MODE: 'steady' } });
    expect(ok.code, ok.stderr).toBe(0);
    const flappy = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir, env: { MODE: 'flappy' } });
    expect(flappy.code).toBe(1);
    expect(gate(parseDecision(flappy.stdout), 'health').checks.find((c) => c.check.endsWith('steady state'))).toMatchObject({ ok: false, expected: 'passing for at least 500 ms' });
  });
});

describe('every verdict explained', () => {
  it('a failed probe shows the body it got; "Blocked because" lists every failed check of a gate', async () => {
    const port = await freePort();
    const dir = await project({
      'shipgate.yml': `services:
  api:
    run: ${q(nodeCmd('flappy-server.mjs', String(port), 'api.pid'))}
    ready: { command: "test -f api.pid", timeout: 10s }
gates:
  smoke:
    services: [api]
    probes: [{ get: "http://127.0.0.1:${port}/health", status: 200 }]
    artifacts: [{ path: "dist/*.tgz" }]
`,
    });
    const { res, decision } = await run(dir);
    expect(res.code).toBe(1);
    const status = gate(decision, 'smoke').checks.find((c) => c.check.endsWith('/health status'))!;
    expect(status.message).toBe('body: "database connection refused: pool exhausted"');
    expect(res.stderr).toContain('body: "database connection refused: pool exhausted"');
    expect(decision.blockers).toEqual([
      `smoke: GET http://127.0.0.1:${port}/health status: expected 200, got 500; artifact dist/*.tgz: expected at least one file, got no file matches`,
    ]);
    // The terminal's "Blocked because" lists both failed checks too, not only the first.
    expect(res.stderr).toContain(`Blocked because:\n  - smoke: GET http://127.0.0.1:${port}/health status: expected 200, got 500; artifact dist/*.tgz: expected at least one file, got no file matches`);
  });

  it('failing findings are listed: level, rule, file:line, message, top 20 and how many more', async () => {
    const results = Array.from({ length: 25 }, (_, i) => ({
      ruleId: i % 2 ? 'no-eval' : 'no-implied-eval',
      level: i < 3 ? 'error' : 'warning',
      message: { text: `finding ${i}` },
      locations: [{ physicalLocation: { artifactLocation: { uri: `src/f${i}.js` }, region: { startLine: i + 1 } } }],
    }));
    const dir = await project({
      'shipgate.yml': 'gates:\n  scan:\n    reports: [eslint.sarif]\n    expect: ["findings.total == 0"]\n',
      'eslint.sarif': JSON.stringify({ version: '2.1.0', runs: [{ tool: { driver: { name: 'eslint' } }, results }] }),
    });
    const { res, decision } = await run(dir);
    expect(res.code).toBe(1);
    const g = gate(decision, 'scan');
    expect(g.findingsTotal).toBe(25);
    expect(g.findings).toHaveLength(20);
    // Most severe first.
    expect(g.findings!.slice(0, 3).map((f) => f.level)).toEqual(['error', 'error', 'error']);
    expect(g.findings![0]).toMatchObject({ level: 'error', rule: 'no-implied-eval', file: 'src/f0.js', line: 1, message: 'finding 0', tool: 'eslint' });
    expect(res.stderr).toContain('findings (25):\n    ERROR no-implied-eval src/f0.js:1 — finding 0');
    expect(res.stderr).toContain('    … and 5 more');
  });

  it('failed k6 thresholds are named; a failing coverage check lists the least-covered files', async () => {
    const k6 = {
      metrics: {
        http_req_duration: { type: 'trend', contains: 'time', values: { avg: 80, 'p(95)': 240 }, thresholds: { 'p(95)<200': { ok: false }, 'avg<100': { ok: true } } },
      },
    };
    const lcov = ['SF:src/good.js', 'DA:1,1', 'DA:2,1', 'LF:2', 'LH:2', 'end_of_record', 'SF:src/bad.js', 'DA:1,0', 'DA:2,0', 'DA:3,0', 'DA:4,1', 'LF:4', 'LH:1', 'end_of_record', ''].join('\n');
    const dir = await project({
      'shipgate.yml': `gates:
  load:
    reports: [k6.json]
    expect: ["thresholds.failed == 0"]
  coverage:
    reports: [lcov.info]
    expect: ["coverage.lines >= 90%"]
`,
      'k6.json': JSON.stringify(k6),
      'lcov.info': lcov,
    });
    const { res, decision } = await run(dir);
    expect(res.code).toBe(1);
    expect(gate(decision, 'load').checks.find((c) => c.check === 'thresholds.failed == 0')!.message).toBe('failed thresholds: http_req_duration: p(95)<200');
    expect(gate(decision, 'coverage').checks.find((c) => c.check === 'coverage.lines >= 90%')!.message).toBe('least covered: src/bad.js 25.0% (1/4), src/good.js 100.0% (2/2)');
    // The terminal says the same (the summary goes to stderr with --json).
    expect(res.stderr).toContain('failed thresholds: http_req_duration: p(95)<200');
    expect(res.stderr).toContain('least covered: src/bad.js 25.0% (1/4)');
  });

  it('a gate that failed because its service failed cites the service log, which exists', async () => {
    const dir = await project({
      'shipgate.yml': `services:
  api:
    run: ${q(`node -e "console.error('listen EADDRINUSE: port busy'); process.exit(3)"`)}
    ready: { command: "false", timeout: 5s }
gates:
  e2e:
    services: [api]
    run: node -e "0"
`,
    });
    const { res, decision } = await run(dir);
    expect(res.code).toBe(1);
    const g = gate(decision, 'e2e');
    expect(g.logPath).toMatch(/service-api\.log$/);
    expect(existsSync(g.logPath!)).toBe(true);
    expect(g.logTail).toContain('listen EADDRINUSE: port busy');
    expect(res.stderr).toMatch(new RegExp(`last \\d+ lines of ${g.logPath!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it('a multi-line failure message stays readable', async () => {
    const dir = await project({
      'shipgate.yml': `gates:\n  unit:\n    run: ${q(nodeCmd('junit-exit.mjs', 'r.xml', 'exit:1', 'upload=fail'))}\n    reports: [r.xml]\n`,
    });
    const { res } = await run(dir);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('✗ app.Suite::upload [failed]\n        upload failed');
  });
});

describe('an interrupted steady-state probe', () => {
  it('stops when the run is interrupted instead of probing on', async () => {
    const port = await freePort();
    const dir = await project({
      'shipgate.yml': `services:
  api:
    run: ${q(nodeCmd('flappy-server.mjs', String(port), 'api.pid'))}
    ready: { command: "test -f api.pid", timeout: 10s }
gates:
  health:
    services: [api]
    probes: [{ get: "http://127.0.0.1:${port}/health", status: 200, consecutive: 1000, retry: { deadline: 10m, interval: 20ms } }]
`,
    });
    const cli = startCli(['run', '1.0.0', '--no-history'], { cwd: dir });
    await waitForFile(join(dir, 'api.pid'));
    cli.child.kill('SIGINT');
    const res = await cli.done;
    expect(res.code).toBe(130);
  });
});

/**
 * A history made by the real CLI, for the dashboard's end-to-end and browser tests: a git project
 * whose runs are READY, BLOCKED (a failing test named like an XSS payload, a metric drifting past
 * its baseline), flaky (a JUnit flakyFailure, then a failure), with approvals of a manual gate and
 * a publish. Each run's evidence is written by the test beforehand (test/fixtures/history/emit.mjs).
 */
import type { Decision } from '../../src/decide/types.js';
import { historyCmd, makeGitProject, metricsFile, put, runJson, sg } from '../e2e/history-helpers.js';

export const XSS_TEST = '<img src=x onerror=alert(1)>';
export const QUARANTINE_UNTIL = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);

const config = `name: serve-demo
baseline: { min-runs: 3 }
gates:
  unit:
    title: Unit tests
    run: ${historyCmd('emit.mjs', 'unit.xml')}
    reports: [reports/unit.xml]
  bench:
    run: ${historyCmd('emit.mjs', 'metrics.json')}
    reports: [reports/metrics.json]
    expect: ["metric.parse_ms within baseline"]
  sign-off:
    manual:
      checklist: ["Changelog read"]
      evidence: optional
requirements:
  calc:
    title: The calculator works
    tests: ["app.Calc::*"]
publish:
  - title: Publish package
    run: node -e "0"
`;

type Outcome = 'pass' | 'fail' | 'flaky';

function xmlAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JUnit with names escaped (the XSS test's name must reach the store as written). */
export function junitXml(tests: [classname: string, name: string, outcome: Outcome][]): string {
  const cases = tests.map(([cls, name, o]) => {
    const body =
      o === 'fail' ? `<failure message="${xmlAttr(`boom ${XSS_TEST}`)}">expected 1, got 2 ${xmlAttr('<script>alert(2)</script>')}</failure>` : o === 'flaky' ? '<flakyFailure message="timing">first try failed</flakyFailure>' : '';
    return `    <testcase classname="${xmlAttr(cls)}" name="${xmlAttr(name)}" time="${(0.01 + name.length / 1000).toFixed(3)}">${body}</testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n  <testsuite name="suite" tests="${cases.length}">\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`;
}

export interface SeededHistory {
  dir: string;
  sha: string;
  runs: { version: string; decision: Decision }[];
}

const env = { SHIPGATE_ACTOR: 'ci-bot' };

async function run(dir: string, version: string, unit: [string, string, Outcome][], parseMs: number, opts: { approve: boolean; publish?: boolean }) {
  await put(dir, 'next/unit.xml', junitXml(unit));
  await put(dir, 'next/metrics.json', metricsFile('parse_ms', parseMs, 'ms'));
  if (opts.approve) {
    const a = await sg(dir, ['approve', 'sign-off', '--by', 'alice', '--version', version, '--note', `release ${version} <b>ok</b>`], env);
    if (a.code !== 0) throw new Error(`approve ${version} failed: ${a.stderr}`);
  }
  return runJson(dir, version, opts.publish ? ['--publish'] : [], env);
}

/** Five runs: three READY, one BLOCKED (failures + drift + pending sign-off), one READY with a publish. */
export async function seedHistory(): Promise<SeededHistory> {
  const { dir, sha } = await makeGitProject({ 'shipgate.yml': config });
  const ok: [string, string, Outcome][] = [
    ['app.Calc', 'adds', 'pass'],
    ['app.Calc', 'divides', 'pass'],
    ['app.Net', 'connects', 'pass'],
    ['app.Xss', XSS_TEST, 'pass'],
  ];
  const runs: SeededHistory['runs'] = [];
  const plan: [string, [string, string, Outcome][], number, boolean, boolean?][] = [
    ['1.0.0', ok.map(([c, n]) => [c, n, c === 'app.Net' ? 'flaky' : 'pass']), 100, true],
    ['1.0.1', ok, 101, true],
    ['1.0.2', ok, 99, true],
    ['1.0.3', ok.map(([c, n]) => [c, n, c === 'app.Calc' && n === 'adds' ? 'pass' : c === 'app.Calc' ? 'pass' : 'fail']), 170, false],
    ['1.0.4', ok, 100, true, true],
  ];
  for (const [version, unit, ms, approve, publish] of plan) {
    const { res, decision } = await run(dir, version, unit, ms, { approve, publish });
    const want = version === '1.0.3' ? 1 : 0;
    if (res.code !== want) throw new Error(`run ${version} exited ${res.code}, expected ${want}:\n${res.stderr}`);
    runs.push({ version, decision });
  }
  // Quarantined after the runs, so that it shows on the dashboard without changing their decisions.
  const q = await sg(dir, ['quarantine', 'add', 'app.Net::connects', '--reason', 'flaky socket, tracked in #42', '--until', QUARANTINE_UNTIL, '--by', 'bob']);
  if (q.code !== 0) throw new Error(`quarantine add failed: ${q.stderr}`);
  return { dir, sha, runs };
}

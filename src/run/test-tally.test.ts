import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GateConfig, RequirementConfig } from '../config/types.js';
import { collectEvidence } from '../evidence/collect.js';
import type { Evidence, TestResult } from '../evidence/model.js';
import { evidenceCounts } from '../policy/expect-eval.js';
import { judgeGate } from '../policy/judge.js';
import { quarantineMatcher } from '../policy/quarantine.js';
import { REQUIREMENT_LIST_CAP, RequirementTally } from '../policy/requirements.js';
import { KeyTable } from '../store/key-table.js';
import { isFlaky, statusOf } from '../store/test-log.js';
import { testKey } from '../store/test-key.js';
import { TestTally } from './test-tally.js';

function t(id: string, status: TestResult['status'] = 'passed', extra: Partial<TestResult> = {}): TestResult {
  const i = id.lastIndexOf('::');
  return { id, suite: id.slice(0, i), name: id.slice(i + 2), status, attempts: 1, flaky: false, ...extra };
}

const PROJECT = 'tally';

function gateConfig(): GateConfig {
  return {
    id: 'unit', title: 'unit', run: ['true'], cwd: '/', env: {}, testsFailedExitCodes: [1], maxAgeMs: 3_600_000, needs: [], when: 'always', optional: false, external: false, services: [], checks: {},
    reports: [{ path: 'r.xml' }], expect: [], severity: 'block', timeoutMs: 1000, retry: { attempts: 1, delayMs: 0 },
  };
}

function evidenceOf(tally: TestTally): Evidence {
  return { tests: tally.kept, testTotals: tally.totals, findings: [], metrics: [], thresholds: [], reports: [{ path: 'r.xml', format: 'junit', ok: true }] };
}

describe('TestTally', () => {
  it('a test that failed in attempt 1 and passed in attempt 2 is flaky, with both attempts, and is logged and kept so', () => {
    const first = new TestTally({ project: PROJECT, gate: 'net' });
    for (const x of [t('net::reconnects', 'failed', { message: 'ECONNRESET' }), t('net::steady'), t('net::broken', 'error')]) first.add(x);
    const second = first.nextAttempt();
    for (const x of [t('net::reconnects'), t('net::steady'), t('net::broken', 'error')]) second.add(x);

    expect(second.totals).toEqual({ total: 3, passed: 2, failed: 0, errors: 1, skipped: 0, flaky: 1 });
    const retried = second.kept.find((x) => x.id === 'net::reconnects');
    expect(retried).toMatchObject({ status: 'passed', flaky: true, attempts: 2 });
    // A passing test that never failed is neither kept nor flaky; a test that fails again stays failed.
    expect(second.kept.map((x) => x.id).sort()).toEqual(['net::broken', 'net::reconnects']);
    expect(second.kept.find((x) => x.id === 'net::broken')).toMatchObject({ status: 'error', flaky: false, attempts: 1 });
    // The log (what the store records) says the same.
    const log = second.log;
    const at = [...log.keys.subarray(0, log.count)].indexOf(testKey(PROJECT, 'net::reconnects'));
    expect([statusOf(log.flags[at]!), isFlaky(log.flags[at]!), log.attempts[at]]).toEqual(['passed', true, 2]);
    expect(log.bad.map((x) => x.id).sort()).toEqual(['net::broken', 'net::reconnects']);

    // A third attempt counts both earlier ones, and remembers failures of the first.
    const third = second.nextAttempt();
    third.add(t('net::broken'));
    third.add(t('net::reconnects'));
    expect(third.kept.map((x) => [x.id, x.flaky, x.attempts])).toEqual([
      ['net::broken', true, 3],
      ['net::reconnects', true, 3],
    ]);
  });

  it('a quarantined failing test among 100,000 passing ones is counted and kept, and no passing test is', () => {
    const tally = new TestTally({ project: PROJECT, gate: 'unit' });
    for (let i = 0; i < 100_000; i++) {
      tally.add(t(`suite${i % 100}::case ${i}`));
      if (i === 50_000) tally.add(t('search::ranks', 'failed', { message: 'order differs' }));
    }
    expect(tally.totals).toEqual({ total: 100_001, passed: 100_000, failed: 1, errors: 0, skipped: 0, flaky: 0 });
    expect(tally.kept.map((x) => x.id)).toEqual(['search::ranks']);
    expect(tally.log.count).toBe(100_001);

    const q = quarantineMatcher([{ tests: ['search::*'], reason: 'ISSUE-42', until: '2999-01-01', origin: 'config' }], new Date());
    const ev = evidenceOf(tally);
    expect(evidenceCounts(ev, q)).toEqual({ total: 100_001, passed: 100_000, failed: 0, errors: 0, skipped: 0, flaky: 0, quarantined: 1 });
    const v = judgeGate(gateConfig(), { id: 'unit', status: 'passed', durationMs: 1, attempts: 1, checks: [], evidence: ev }, { quarantine: q });
    expect(v.status).toBe('pass');
    expect(v.counts).toMatchObject({ total: 100_001, passed: 100_000, quarantined: 1, failed: 0 });
    expect(v.failingTests).toEqual([{ id: 'search::ranks', status: 'failed', message: 'order differs', quarantined: true }]);
    // Without the quarantine the same evidence blocks.
    expect(judgeGate(gateConfig(), { id: 'unit', status: 'passed', durationMs: 1, attempts: 1, checks: [], evidence: ev }).status).toBe('fail');
  });

  it('keeps a passing test that failed on this commit before (badBefore), and only such passing tests', () => {
    const badBefore = KeyTable.of([testKey(PROJECT, 'cache::evicts'), testKey('other-project', 'cache::warms')]);
    const tally = new TestTally({ project: PROJECT, gate: 'unit', badBefore });
    for (const x of [t('cache::evicts'), t('cache::warms'), t('cache::fills', 'skipped')]) tally.add(x);
    // The other project's key is another key: cache::warms is not kept.
    expect(tally.kept.map((x) => x.id)).toEqual(['cache::evicts']);
    // It is kept for the newly-flaky check only: not a bad row for the store.
    expect(tally.log.bad).toEqual([]);
  });

  it('forgets every test of a report that fails part-way, and keeps those of reports read whole', () => {
    const reqs: RequirementConfig[] = [{ id: 'api', title: 'api', tests: ['api::*'], severity: 'block' }];
    const tally = new TestTally({ project: PROJECT, gate: 'unit', requirements: reqs });
    tally.beginReport();
    tally.add(t('api::health'));
    tally.add(t('unit::adds', 'failed'));
    tally.endReport(true);
    tally.beginReport();
    tally.add(t('api::login', 'failed'));
    tally.add(t('api::upload'));
    tally.add(t('unit::flaky', 'passed', { flaky: true }));
    tally.endReport(false);
    expect(tally.totals).toEqual({ total: 2, passed: 1, failed: 1, errors: 0, skipped: 0, flaky: 0 });
    expect(tally.kept.map((x) => x.id)).toEqual(['unit::adds']);
    expect([tally.log.count, tally.log.bad.map((x) => x.id)]).toEqual([2, ['unit::adds']]);
    const [v] = tally.requirements!.verdicts();
    expect(v).toMatchObject({ status: 'pass', evidence: [{ gate: 'unit', tests: 1, passed: 1 }], failed: [] });
  });

  it('through collectEvidence: a truncated report adds nothing, a whole one everything', async () => {
    const tally = new TestTally({ project: PROJECT, gate: 'unit' });
    const ev = await collectEvidence([{ path: 'good.xml' }, { path: 'cut.xml' }], dir, tally.sink());
    expect(ev.reports.map((r) => [r.path, r.ok, r.error?.code])).toEqual([
      ['good.xml', true, undefined],
      ['cut.xml', false, 'EVIDENCE_TRUNCATED'],
    ]);
    // collectEvidence hands the tests over and keeps none itself.
    expect(ev.tests).toEqual([]);
    expect(tally.totals).toEqual({ total: 3, passed: 2, failed: 1, errors: 0, skipped: 0, flaky: 0 });
    expect(tally.kept.map((x) => [x.id, x.source])).toEqual([['app.Calc::divides', 'good.xml']]);
  });
});

describe('TestTally: text fit for the store', () => {
  it('masks secrets in ids, names and messages before the test is keyed, and shows NUL as U+FFFD', () => {
    const tally = new TestTally({ project: PROJECT, gate: 'unit', secrets: ['hunter2-secret'] });
    tally.add(t('a::logs in as hunter2-secret', 'failed', { message: 'token hunter2-secret\u0000 refused' }));
    tally.add(t('a::nul\u0000name', 'error'));
    tally.add(t('a::plain', 'failed', { message: 'expected 1' }));
    expect(tally.kept.map((k) => [k.id, k.name, k.message])).toEqual([
      ['a::logs in as ***', 'logs in as ***', 'token ***\uFFFD refused'],
      ['a::nul\uFFFDname', 'nul\uFFFDname', undefined],
      // The honest neighbour is kept exactly.
      ['a::plain', 'plain', 'expected 1'],
    ]);
    // What the store names: the masked id, under the masked id's key.
    expect(tally.log.badKeys).toEqual([testKey(PROJECT, 'a::logs in as ***'), testKey(PROJECT, 'a::nul\uFFFDname'), testKey(PROJECT, 'a::plain')]);
    expect(JSON.stringify(tally.log.bad)).not.toContain('hunter2-secret');
  });
});

describe('RequirementTally', () => {
  const req = (tests: string[]): RequirementConfig => ({ id: 'r', title: 'r', tests, severity: 'block' });

  it('a requirement whose pattern matches 200 failing tests lists 100, says 200, and fails', () => {
    const tally = new RequirementTally([req(['big::*'])]);
    for (let i = 0; i < 1000; i++) tally.add('unit', t(`big::case${i}`, i % 5 === 0 ? 'failed' : 'passed', { message: `m${i}` }));
    const [v] = tally.verdicts();
    expect(v?.status).toBe('fail');
    expect(v?.failed).toHaveLength(REQUIREMENT_LIST_CAP);
    expect(v?.failed[0]).toEqual({ id: 'big::case0', gate: 'unit', status: 'failed', message: 'm0' });
    expect(v?.truncated).toEqual({ failed: 200, notRun: 0, unproven: 0 });
    expect(v?.evidence).toEqual([{ gate: 'unit', tests: 1000, passed: 800 }]);
  });

  it('exactly 100 failing tests are listed whole, without `truncated`; the cap applies across gates and lists', () => {
    const tally = new RequirementTally([req(['big::*'])]);
    for (let i = 0; i < 100; i++) tally.add('unit', t(`big::case${i}`, 'failed'));
    const [v] = tally.verdicts();
    expect(v?.failed).toHaveLength(100);
    expect(v?.truncated).toBeUndefined();

    const a = new RequirementTally([req(['big::*'])]);
    const b = new RequirementTally([req(['big::*'])]);
    for (let i = 0; i < 60; i++) a.add('unit', t(`big::a${i}`, 'failed'));
    for (let i = 0; i < 60; i++) b.add('e2e', t(`big::b${i}`, 'failed'));
    for (let i = 0; i < 150; i++) b.add('e2e', t(`big::s${i}`, 'skipped'));
    a.merge(b);
    const [m] = a.verdicts();
    expect(m?.failed).toHaveLength(100);
    expect(m?.notRun).toHaveLength(100);
    expect(m?.truncated).toEqual({ failed: 120, notRun: 150, unproven: 0 });
    expect(m?.evidence).toEqual([
      { gate: 'unit', tests: 60, passed: 0 },
      { gate: 'e2e', tests: 210, passed: 0 },
    ]);
  });

  it('a pattern matched in one gate only is matched for the run; one matched nowhere stays unmatched', () => {
    const a = new RequirementTally([req(['x::one', 'y::two', 'z::*'])]);
    const b = new RequirementTally([req(['x::one', 'y::two', 'z::*'])]);
    a.add('unit', t('x::one'));
    b.add('e2e', t('y::two'));
    a.merge(b);
    expect(a.verdicts()[0]).toMatchObject({ status: 'fail', unmatched: ['z::*'], failed: [], notRun: [] });
  });
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shipgate-tally-'));
  await writeFile(
    join(dir, 'good.xml'),
    '<testsuite name="calc"><testcase classname="app.Calc" name="adds"/><testcase classname="app.Calc" name="subtracts"/>' +
      '<testcase classname="app.Calc" name="divides"><failure message="by zero"/></testcase></testsuite>',
  );
  // Two whole test cases, then the file ends mid-element: a run killed while writing.
  await writeFile(join(dir, 'cut.xml'), '<testsuite name="net"><testcase classname="app.Net" name="a"/><testcase classname="app.Net" name="b"><failure message="x"/></testcase><testcase classname="app.Net" na');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

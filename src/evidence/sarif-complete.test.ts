/**
 * SARIF logs that are well-formed but say something went wrong (a scan that did not finish, a
 * result we cannot read) must fail; the nearest honest log must still pass. Each log is written
 * to a temp dir and parsed for real.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvidenceError } from '../errors.js';
import { collectEvidence } from './collect.js';
import type { Finding } from './model.js';
import { sarifParser } from './sarif.js';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sg-sarif-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type J = Record<string, unknown>;

const RULES = [
  { id: 'sqli', defaultConfiguration: { level: 'error' }, properties: { 'security-severity': '8.1' } },
  { id: 'style' },
];

function run(over: J = {}): J {
  return { tool: { driver: { name: 'scanner', rules: RULES } }, results: [], ...over };
}

function result(over: J = {}): J {
  return {
    ruleId: 'style',
    message: { text: 'something to fix' },
    locations: [{ physicalLocation: { artifactLocation: { uri: 'src/a.ts' }, region: { startLine: 3 } } }],
    ...over,
  };
}

async function write(doc: unknown): Promise<string> {
  const path = join(dir, `log-${n++}.sarif`);
  await writeFile(path, typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2));
  return path;
}

async function findings(runs: unknown[]): Promise<Finding[]> {
  const part = await sarifParser.parse(await write({ version: '2.1.0', runs }), { displayPath: 'scan.sarif' });
  return part.findings ?? [];
}

async function failure(runs: unknown[]): Promise<EvidenceError> {
  const err = await findings(runs).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the log was accepted').toBeInstanceOf(EvidenceError);
  const e = err as EvidenceError;
  expect(e.file).toBe('scan.sarif');
  expect(e.message).toContain('scan.sarif');
  return e;
}

describe('SARIF: a scan that did not finish is EVIDENCE_INCOMPLETE', () => {
  it('executionSuccessful: false names the run, the invocation, the exit code and the error notification', async () => {
    const e = await failure([
      run({
        invocations: [
          {
            executionSuccessful: false,
            exitCode: 2,
            exitCodeDescription: 'Fatal error',
            toolExecutionNotifications: [{ level: 'error', message: { text: 'out of memory while analysing src/big.js' }, descriptor: { id: 'OOM' } }],
          },
        ],
        results: [],
      }),
    ]);
    expect(e.code).toBe('EVIDENCE_INCOMPLETE');
    expect(e.message).toContain('runs[0] (scanner) invocations[0] did not complete');
    expect(e.message).toContain('exit code 2');
    expect(e.message).toContain('"Fatal error"');
    expect(e.message).toContain('(OOM): "out of memory while analysing src/big.js"');
    expect(e.hint).toMatch(/did not finish.*incomplete scan is not a clean one/);
  });

  it('a tool execution or configuration notification of level error fails even with executionSuccessful: true', async () => {
    const exec = await failure([
      run({ invocations: [{ executionSuccessful: true, toolExecutionNotifications: [{ level: 'error', message: { text: 'parser crashed on src/x.py' } }] }] }),
    ]);
    expect(exec.code).toBe('EVIDENCE_INCOMPLETE');
    expect(exec.message).toContain('invocations[0] reports an error while the tool ran: toolExecutionNotifications[0]: "parser crashed on src/x.py"');
    const config = await failure([
      run({ invocations: [{ toolConfigurationNotifications: [{ level: 'note', message: { text: 'fine' } }, { level: 'error', message: { text: 'rule file rules.yml is invalid' } }] }] }),
    ]);
    expect(config.code).toBe('EVIDENCE_INCOMPLETE');
    expect(config.message).toContain('toolConfigurationNotifications[1]: "rule file rules.yml is invalid"');
  });

  it('thousands of error notifications: the count and the first few are named, not all of them', async () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({ level: 'error', message: { text: `cannot parse file${i}.js` } }));
    const e = await failure([run({ invocations: [{ toolExecutionNotifications: many }] })]);
    expect(e.code).toBe('EVIDENCE_INCOMPLETE');
    expect(e.message).toContain('reports 5000 errors while the tool ran');
    expect(e.message).toContain('"cannot parse file2.js"; and 4997 more');
    expect(e.message).not.toContain('file3.js');
  });

  it('honest: executionSuccessful: true with warning and default-level notifications passes', async () => {
    const f = await findings([
      run({
        invocations: [
          {
            executionSuccessful: true,
            toolExecutionNotifications: [{ level: 'warning', message: { text: 'skipped a minified file' } }, { message: { text: 'no level: a warning' } }],
            toolConfigurationNotifications: [{ level: 'note', message: { text: 'using defaults' } }],
          },
        ],
        results: [result()],
      }),
    ]);
    expect(f).toHaveLength(1);
    // an invocation without executionSuccessful counts as successful
    expect(await findings([run({ invocations: [{}], results: [] })])).toEqual([]);
  });

  it('a notification level that is not a SARIF level is malformed, not an error or a pass', async () => {
    const e = await failure([run({ invocations: [{ toolExecutionNotifications: [{ level: 'Error', message: { text: 'x' } }] }] })]);
    expect(e.code).toBe('EVIDENCE_MALFORMED');
    expect(e.message).toContain('toolExecutionNotifications[0] has level "Error"');
  });

  it('results null or absent means results were not computed; results [] is a clean scan', async () => {
    const none = await failure([run({ results: null })]);
    expect(none.code).toBe('EVIDENCE_INCOMPLETE');
    expect(none.message).toContain('runs[0] (scanner) has "results": null: the tool did not compute results');
    const absent = await failure([{ tool: { driver: { name: 'scanner' } } }]);
    expect(absent.code).toBe('EVIDENCE_INCOMPLETE');
    expect(absent.message).toContain('no "results"');
    expect(await findings([run({ results: [] })])).toEqual([]);
  });

  it('runs: [] means no scan ran', async () => {
    const e = await failure([]);
    expect(e.code).toBe('EVIDENCE_INCOMPLETE');
    expect(e.message).toContain('no runs');
  });

  it('one incomplete run fails the log even when another run is complete', async () => {
    const e = await failure([run({ results: [result()] }), run({ tool: { driver: { name: 'second' } }, invocations: [{ executionSuccessful: false }] })]);
    expect(e.code).toBe('EVIDENCE_INCOMPLETE');
    expect(e.message).toContain('runs[1] (second) invocations[0] did not complete (executionSuccessful is false)');
  });

  it('through collectEvidence: the report is recorded as failed with the code, message and hint', async () => {
    const path = await write({ version: '2.1.0', runs: [run({ invocations: [{ executionSuccessful: false, exitCode: 137, exitSignalName: 'SIGKILL' }] })] });
    const ev = await collectEvidence([{ path }], dir);
    expect(ev.findings).toEqual([]);
    expect(ev.reports).toHaveLength(1);
    expect(ev.reports[0]).toMatchObject({ format: 'sarif', ok: false, error: { code: 'EVIDENCE_INCOMPLETE' } });
    expect(ev.reports[0]!.error!.message).toContain('exit code 137, signal SIGKILL');
    expect(ev.reports[0]!.error!.message).toContain('an incomplete scan is not a clean one');
  });

  it('executionSuccessful that is not a boolean is malformed', async () => {
    expect((await failure([run({ invocations: [{ executionSuccessful: 'false' }] })])).code).toBe('EVIDENCE_MALFORMED');
  });
});

describe('SARIF: levels and kinds as the spec defines them', () => {
  it('a level that is not exactly none/note/warning/error is malformed, naming the result', async () => {
    const e = await failure([run({ results: [result(), result({ level: 'Error' })] })]);
    expect(e.code).toBe('EVIDENCE_MALFORMED');
    expect(e.message).toContain('runs[0].results[1] has level "Error"');
    const rule = await failure([{ tool: { driver: { name: 'scanner', rules: [{ id: 'r', defaultConfiguration: { level: 'high' } }] } }, results: [] }]);
    expect(rule.code).toBe('EVIDENCE_MALFORMED');
    expect(rule.message).toContain('rules[0] (r).defaultConfiguration has level "high"');
  });

  it('absent level: kind review/open → none; kind fail or absent → rule default, else warning', async () => {
    const f = await findings([
      run({
        results: [
          result({ ruleId: 'sqli' }),
          result({ ruleId: 'sqli', kind: 'fail' }),
          result({ ruleId: 'style' }),
          result({ ruleId: 'sqli', kind: 'review' }),
          result({ ruleId: 'style', kind: 'open' }),
          result({ ruleId: 'style', level: 'note' }),
        ],
      }),
    ]);
    expect(f.map((x) => x.level)).toEqual(['error', 'error', 'warning', 'none', 'none', 'note']);
  });

  it('pass, notApplicable and informational results are not findings; an unknown kind is malformed', async () => {
    const f = await findings([
      run({ results: [result({ kind: 'pass' }), result({ kind: 'notApplicable' }), result({ kind: 'informational', level: 'none' }), result({ message: { text: 'real' } })] }),
    ]);
    expect(f.map((x) => x.message)).toEqual(['real']);
    const e = await failure([run({ results: [result({ kind: 'Fail' })] })]);
    expect(e.code).toBe('EVIDENCE_MALFORMED');
    expect(e.message).toContain('runs[0].results[0] has kind "Fail"');
  });
});

describe('SARIF: security-severity', () => {
  it('a numeric string or a number from 0 to 10 is read and banded', async () => {
    const f = await findings([
      run({ results: [result({ properties: { 'security-severity': '7.5' } }), result({ properties: { 'security-severity': 9.8 } }), result({ ruleId: 'sqli' }), result({ properties: { 'security-severity': '0' } })] }),
    ]);
    expect(f.map((x) => [x.securityScore, x.securitySeverity])).toEqual([
      [7.5, 'high'],
      [9.8, 'critical'],
      [8.1, 'high'],
      [0, undefined],
    ]);
  });

  it('anything else is malformed, on the result or on the rule', async () => {
    for (const bad of ['high', '', 11, -1, null, '7.5 (High)']) {
      const e = await failure([run({ results: [result({ properties: { 'security-severity': bad } })] })]);
      expect(e.code).toBe('EVIDENCE_MALFORMED');
      expect(e.message).toContain(`runs[0].results[0].properties has security-severity ${JSON.stringify(bad)}`);
    }
    const rule = await failure([{ tool: { driver: { name: 'scanner', rules: [{ id: 'cve', properties: { 'security-severity': 'critical' } }] } }, results: [] }]);
    expect(rule.code).toBe('EVIDENCE_MALFORMED');
    expect(rule.message).toContain('rules[0] (cve).properties has security-severity "critical"');
  });
});

describe('SARIF: suppressions and baselines', () => {
  it('accepted or status-less suppressions mark the finding suppressed; under review or rejected ones do not', async () => {
    const f = await findings([
      run({
        results: [
          result({ message: { text: 'accepted' }, suppressions: [{ kind: 'inSource', status: 'accepted' }] }),
          result({ message: { text: 'no status' }, suppressions: [{ kind: 'external' }] }),
          result({ message: { text: 'under review' }, suppressions: [{ kind: 'external', status: 'underReview' }, { kind: 'inSource', status: 'rejected' }] }),
          result({ message: { text: 'one accepted of two' }, suppressions: [{ kind: 'external', status: 'rejected' }, { kind: 'inSource', status: 'accepted' }] }),
          result({ message: { text: 'none found' }, suppressions: [] }),
        ],
      }),
    ]);
    expect(f.map((x) => [x.message, x.suppressed])).toEqual([
      ['accepted', true],
      ['no status', true],
      ['under review', undefined],
      ['one accepted of two', true],
      ['none found', undefined],
    ]);
  });

  it('an unknown suppression status is malformed', async () => {
    const e = await failure([run({ results: [result({ suppressions: [{ kind: 'inSource', status: 'approved' }] })] })]);
    expect(e.code).toBe('EVIDENCE_MALFORMED');
    expect(e.message).toContain('runs[0].results[0].suppressions[0] has status "approved"');
  });

  it('baselineState is kept; absent results (gone since the baseline) are dropped; an unknown state is malformed', async () => {
    const f = await findings([
      run({
        results: [
          result({ message: { text: 'a' }, baselineState: 'new' }),
          result({ message: { text: 'b' }, baselineState: 'unchanged' }),
          result({ message: { text: 'c' }, baselineState: 'updated' }),
          result({ message: { text: 'gone' }, baselineState: 'absent' }),
          result({ message: { text: 'd' } }),
        ],
      }),
    ]);
    expect(f.map((x) => [x.message, x.baselineState])).toEqual([
      ['a', 'new'],
      ['b', 'unchanged'],
      ['c', 'updated'],
      ['d', undefined],
    ]);
    const e = await failure([run({ results: [result({ baselineState: 'New' })] })]);
    expect(e.code).toBe('EVIDENCE_MALFORMED');
    expect(e.message).toContain('has baselineState "New"');
  });
});

describe('SARIF: fingerprints', () => {
  it("the result's own fingerprints win, first key in sorted order", async () => {
    const [f] = await findings([run({ results: [result({ fingerprints: { 'z/v1': 'zzz', 'matchBasedId/v1': 'abc123' }, partialFingerprints: { p: 'q' } })] })]);
    expect(f!.fingerprint).toBe('matchBasedId/v1:abc123');
  });

  it('partial fingerprints are combined with tool and rule (two rules on one line differ)', async () => {
    const partial = { primaryLocationLineHash: '39fa2ee980eb94b0:1' };
    const f = await findings([run({ results: [result({ partialFingerprints: partial }), result({ ruleId: 'sqli', partialFingerprints: partial }), result({ partialFingerprints: { ...partial } })] })]);
    expect(f[0]!.fingerprint).toMatch(/^partial:[0-9a-f]{16}$/);
    expect(f[1]!.fingerprint).not.toBe(f[0]!.fingerprint);
    expect(f[2]!.fingerprint).toBe(f[0]!.fingerprint);
  });

  it('without fingerprints: a hash of tool, rule, file and message, the same when only the line moved', async () => {
    const f = await findings([
      run({
        results: [
          result(),
          result({ locations: [{ physicalLocation: { artifactLocation: { uri: 'src/a.ts' }, region: { startLine: 90 } } }] }),
          result({ message: { text: 'something else' } }),
          result({ locations: [{ physicalLocation: { artifactLocation: { uri: 'src/b.ts' }, region: { startLine: 3 } } }] }),
          result({ fingerprints: {}, partialFingerprints: {} }),
        ],
      }),
    ]);
    expect(f[0]!.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(f[1]!.fingerprint).toBe(f[0]!.fingerprint);
    expect(f[2]!.fingerprint).not.toBe(f[0]!.fingerprint);
    expect(f[3]!.fingerprint).not.toBe(f[0]!.fingerprint);
    expect(f[4]!.fingerprint).toBe(f[0]!.fingerprint);
    const other = await findings([{ ...run({ results: [result()] }), tool: { driver: { name: 'other-tool', rules: RULES } } }]);
    expect(other[0]!.fingerprint).not.toBe(f[0]!.fingerprint);
  });
});

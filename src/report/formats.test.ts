/**
 * Each output against its documented format and a recorded layout (test/fixtures/ci/recorded/,
 * updated with `npx vitest run -u` after a deliberate change): JUnit against an XSD with libxml2
 * (xmllint-wasm) and shipgate's own JUnit parser, Code Quality against a JSON Schema (ajv),
 * annotations and logging commands through the runners' parsers, the Markdown summary's budget.
 */
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { validateXML } from 'xmllint-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJunit } from '../evidence/junit.js';
import { bigDecision, hostileDecision, readyDecision, HOSTILE } from '../../test/fixtures/ci/decisions.js';
import { azureCommands, githubCommands } from '../../test/fixtures/ci/runners.js';
import { azureCommands as azureLines } from './azure.js';
import { codeQualityIssues, formatCodeQuality } from './codequality.js';
import { GITHUB_SUMMARY_LIMIT, githubAnnotations, githubOutputs } from './github.js';
import { formatJunit } from './junit.js';
import { formatMarkdown } from './markdown.js';

const FIX = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'ci');
const recorded = (name: string) => join(FIX, 'recorded', name);
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'shipgate-formats-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('JUnit', () => {
  it('validates against the JUnit XSD (libxml2) and matches the recorded layout', async () => {
    const xml = formatJunit(hostileDecision());
    const result = await validateXML({ xml: [{ fileName: 'shipgate.xml', contents: xml }], schema: [{ fileName: 'junit.xsd', contents: await readFile(join(FIX, 'junit.xsd'), 'utf8') }] });
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
    await expect(xml).toMatchFileSnapshot(recorded('junit.xml'));
  });

  it('reads back with a real JUnit parser: one case per gate and requirement, names stable, failure text kept, hostile names as text', async () => {
    const file = join(tmp, 'j.xml');
    await writeFile(file, formatJunit(hostileDecision()));
    const part = await parseJunit(file, { displayPath: 'j.xml' });
    const byName = Object.fromEntries((part.tests ?? []).map((t) => [t.name, t]));
    expect(Object.keys(byName).sort()).toEqual(['api', 'build', 'cost', 'health', 'lint', 'live', 'perf', 'unit']);
    expect(byName.unit!.status).toBe('failed');
    expect(byName.cost!.status).toBe('failed'); // pending approval of a blocking gate blocks
    expect(byName.perf!.status).toBe('passed'); // a WARN does not block
    expect(byName.live!.status).toBe('skipped');
    expect(byName.api!.status).toBe('failed');
    expect(byName.unit!.id).toBe('shipgate.demo.gates::unit');
    expect(byName.unit!.message).toContain('2 of 3 tests failed');
  });

  it('keeps the same names across runs (ids, not titles or times)', () => {
    const a = formatJunit(hostileDecision());
    const d = hostileDecision();
    d.gates[1]!.title = 'Renamed';
    d.gates[1]!.durationMs = 99;
    const names = (x: string) => [...x.matchAll(/<testcase name="([^"]*)" classname="([^"]*)"/g)].map((m) => `${m[2]}::${m[1]}`);
    expect(names(formatJunit(d))).toEqual(names(a));
  });
});

describe('GitLab Code Quality', () => {
  const ajv = new Ajv({ allErrors: true, strict: true });
  it('validates against the Code Quality schema, one issue per located finding, fingerprints unique', async () => {
    const schema = JSON.parse(await readFile(join(FIX, 'codequality.schema.json'), 'utf8')) as object;
    const issues = codeQualityIssues(hostileDecision(), { root: '/work/demo' });
    const ok = ajv.validate(schema, issues);
    expect(ajv.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(issues).toHaveLength(2); // the finding without a file is left out
    expect(new Set(issues.map((i) => i.fingerprint)).size).toBe(issues.length);
    expect(issues.map((i) => i.severity)).toEqual(['blocker', 'critical']);
    await expect(formatCodeQuality(hostileDecision(), { root: '/work/demo' })).toMatchFileSnapshot(recorded('codequality.json'));
  });
  it('fingerprints stay when the line moves, change when the message does', () => {
    const a = codeQualityIssues(hostileDecision())[0]!;
    const d = hostileDecision();
    d.gates[2]!.findings![0]!.line = 99;
    expect(codeQualityIssues(d)[0]!.fingerprint).toBe(a.fingerprint);
    d.gates[2]!.findings![0]!.message = 'other';
    expect(codeQualityIssues(d)[0]!.fingerprint).not.toBe(a.fingerprint);
  });
  it('an absolute path inside the project becomes relative to it', () => {
    const d = hostileDecision();
    d.gates[2]!.findings![0]!.file = '/work/demo/src/a.js';
    expect(codeQualityIssues(d, { root: '/work/demo' })[0]!.location.path).toBe('src/a.js');
  });
});

describe('GitHub', () => {
  it('annotations: blocking first, new first, the runner sees only annotations and no injected command', async () => {
    const { lines, omitted } = githubAnnotations(hostileDecision(), '/work/demo');
    const cmds = githubCommands(lines.join('\n'));
    expect(cmds).toHaveLength(lines.length);
    expect(cmds.every((c) => c.name === 'error' || c.name === 'warning')).toBe(true);
    expect(omitted).toEqual({ error: 0, warning: 0 });
    // The new finding comes before the known ones among the blocking errors.
    const firstFinding = cmds.findIndex((c) => c.props.file?.startsWith('src/'));
    expect(cmds[firstFinding]!.props.file).toBe('src/a.js');
    expect(cmds.find((c) => c.props.file === 'src/b,c:d.js')!.props.line).toBe('7');
    // The hostile message is the data of one annotation.
    expect(cmds.some((c) => c.data.includes(HOSTILE.gh) && c.data.includes(HOSTILE.vso))).toBe(true);
    const last = cmds.map((c) => c.name).lastIndexOf('error');
    expect(cmds.slice(0, last + 1).every((c) => c.name === 'error')).toBe(true);
    await expect(lines.join('\n')).toMatchFileSnapshot(recorded('github-annotations.txt'));
  });
  it('at most 10 errors and 10 warnings; the rest are counted', () => {
    const { lines, omitted } = githubAnnotations(bigDecision(50, 1));
    expect(lines.filter((l) => l.startsWith('::error')).length).toBe(10);
    expect(omitted.error).toBe(1 + 50 - 10); // the gate's own line and its 50 failing tests
  });
  it('outputs: a random delimiter per value, never inside it', () => {
    const text = githubOutputs({ result: 'READY', version: 'v1\nrun-id<<EOF' });
    const m = /^version<<(ghadelimiter_[0-9a-f-]+)\n(.*)\n\1$/m.exec(text);
    expect(m![2]).toBe('v1\\nrun-id<<EOF');
  });
  it('the job summary matches the recorded layout', async () => {
    await expect(formatMarkdown(hostileDecision(), { budget: GITHUB_SUMMARY_LIMIT, annotationsOmitted: { error: 3, warning: 1 } })).toMatchFileSnapshot(recorded('summary.md'));
    await expect(formatMarkdown(readyDecision(), { budget: GITHUB_SUMMARY_LIMIT })).toMatchFileSnapshot(recorded('summary-ready.md'));
  });
  it('the summary is text: no raw tag, link, mention or command survives', () => {
    const md = formatMarkdown(hostileDecision());
    expect(md).not.toContain('<img');
    expect(md).not.toMatch(/\]\(http/);
    expect(md).not.toMatch(/(^|[^\\])@org/);
    expect(md).not.toMatch(/^\s*::/m);
    expect(md).toContain('&lt;img src\\=x onerror\\=alert\\(1\\)&gt;');
  });
  it('a 10,000-test failure stays under 1 MiB and ends with how many were left out', () => {
    const md = formatMarkdown(bigDecision(10_000), { budget: GITHUB_SUMMARY_LIMIT });
    const size = Buffer.byteLength(md);
    expect(size).toBeLessThanOrEqual(GITHUB_SUMMARY_LIMIT);
    expect(size).toBeGreaterThan(GITHUB_SUMMARY_LIMIT - 64 * 1024);
    const tail = md.slice(-600); // (a failure message quoting 1 MiB helps nobody)
    expect(tail).toMatch(/\*\*… and \d+ more failing tests[^*]*\*\* not shown here \(this summary is kept under 1 MiB\)/);
    expect(tail.trimEnd().endsWith('</sub>')).toBe(true);
    // Every <details> that was opened is closed: nothing was cut in the middle.
    expect((md.match(/<details>/g) ?? []).length).toBe((md.match(/<\/details>/g) ?? []).length);
  });
  it('a budget already partly used by the step leaves room', () => {
    const md = formatMarkdown(bigDecision(10_000), { budget: 100_000 });
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(100_000);
  });
});

describe('Azure', () => {
  it('logging commands parse with azure-pipelines-task-lib; nothing else is a command', async () => {
    const { lines } = azureLines(hostileDecision(), '/work/demo/.shipgate/reports/azure-summary.md');
    const cmds = azureCommands(lines.join('\n'));
    expect(cmds.map((c) => c.command)).toEqual([...Array(lines.length - 4).fill('task.logissue'), 'task.uploadsummary', 'task.setvariable', 'task.setvariable', 'task.setvariable']);
    expect(cmds.filter((c) => c.command === 'task.complete')).toEqual([]);
    expect(cmds.find((c) => c.properties.sourcepath === 'src/b,c:d.js')!.properties.linenumber).toBe('7');
    expect(cmds.some((c) => c.message.includes(HOSTILE.vso))).toBe(true);
    await expect(lines.join('\n')).toMatchFileSnapshot(recorded('azure-commands.txt'));
  });
});

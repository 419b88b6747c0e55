/**
 * TAP 13/14 (node:test's TAP reporter, node-tap), streamed line by line.
 *
 * Counting: a test point whose subtest block held points of its own is a suite; its leaf points
 * are the results, with the suite names (outermost first, joined by ` > `) as their suite. A
 * suite point that failed while none of its leaves did (a hook failure) is reported as an error
 * result of its own, so it cannot pass. `# SKIP` → skipped; `# TODO` → skipped when not ok (a
 * known gap is not a failure), passed when ok. `Bail out!` → an error result. A plan that promises
 * more top-level points than were seen → one error result per missing point (the run stopped
 * early). Points without any top-level plan mean the stream was cut: EVIDENCE_TRUNCATED.
 */
import { parse as parseYaml } from 'yaml';
import { EvidenceError } from '../errors.js';
import type { EvidencePart, FormatParser, TestResult, TestStatus } from './model.js';
import { readLines } from './read.js';
import { firstLines } from './junit.js';
import { collapse, testId } from './testid.js';

const POINT_RE = /^(not ok|ok)\b\s*(\d+)?\s*(?:-\s*)?(.*)$/;
const DIRECTIVE_RE = /\s#\s*(SKIP|TODO)\S*\s*(.*)$/i;
const PLAN_RE = /^1\.\.(\d+)\b/;
const MAX_YAML_LINES = 200;
/** A top-level `error:`/`message:` key of a diagnostics block (plain or quoted). */
const MESSAGE_KEY_RE = /^["']?(error|message)["']?\s*:/;

export function sniffTap(head: string): boolean {
  for (const raw of head.replace(/^\uFEFF/, '').split('\n', 50)) {
    const line = raw.trim();
    if (line === '') continue;
    if (/^TAP version 1[34]$/i.test(line)) return true;
    if (line.startsWith('# Subtest:')) return true;
    if (line.startsWith('#')) continue;
    return /^(ok|not ok)\b/.test(line) || PLAN_RE.test(line);
  }
  return false;
}

interface Leaf {
  path: string[];
  name: string;
  status: TestStatus;
  durationMs?: number;
  message?: string;
}

interface Point extends Leaf {
  indent: number;
  /** node:test marks describe() blocks with `type: 'suite'` in their diagnostics. */
  isSuite?: boolean;
  yaml?: string[];
}

function yamlInfo(lines: string[]): { durationMs?: number; message?: string; isSuite?: boolean } {
  const out: { durationMs?: number; message?: string; isSuite?: boolean } = {};
  // Top-level scalars by line first: snapshot-style blocks (`duration_ms: *`) are not valid YAML,
  // and these two keys must not depend on the rest of the block parsing.
  for (const l of lines) {
    if (/^type:\s*['"]?suite['"]?\s*$/.test(l)) out.isSuite = true;
    const dm = /^duration_ms:\s*([\d.]+)\s*$/.exec(l);
    if (dm) out.durationMs = Number(dm[1]);
  }
  // Only a top-level `error:` or `message:` is read from the rest: without one (node:test writes
  // a `duration_ms` block for every passing test) the YAML parse, the costly part, is skipped.
  if (!lines.some((l) => MESSAGE_KEY_RE.test(l))) return out;
  let doc: unknown;
  try {
    doc = parseYaml(lines.join('\n'));
  } catch {
    // Diagnostics are advisory; a block we cannot read costs the message, not the result.
    return out;
  }
  if (typeof doc !== 'object' || doc === null) return out;
  const d = doc as Record<string, unknown>;
  const msg = d.error ?? d.message;
  if (typeof msg === 'string') out.message = firstLines(msg);
  else if (msg && typeof msg === 'object' && typeof (msg as { message?: unknown }).message === 'string') {
    out.message = firstLines((msg as { message: string }).message);
  }
  return out;
}

function indentOf(line: string): number {
  let i = 0;
  while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
  return i;
}

/** Parse a TAP stream into test results. */
export async function parseTap(path: string, opts: { displayPath: string }): Promise<EvidencePart> {
  const { displayPath } = opts;
  /** Results collected per indentation, waiting for the point that closes their subtest. */
  const pending = new Map<number, Leaf[]>();
  const extra: Leaf[] = [];
  let topLevelIndent: number | undefined;
  let topPoints = 0;
  let plan: number | undefined;
  let sawAnything = false;
  let last: Point | undefined;
  let yamlIndent = -1;

  // Loops rather than push(...list): a suite of 200k tests would overflow the call stack.
  const take = (indent: number): Leaf[] => {
    const out: Leaf[] = [];
    for (const [k, v] of [...pending]) {
      if (k > indent) {
        for (const leaf of v) out.push(leaf);
        pending.delete(k);
      }
    }
    return out;
  };

  const close = (p: Point): void => {
    if (p.yaml) {
      const info = yamlInfo(p.yaml);
      if (info.durationMs !== undefined) p.durationMs = info.durationMs;
      p.isSuite = info.isSuite;
      // A failure's diagnostics say more than its description; a skip's reason is in the directive.
      p.message = p.status === 'failed' ? (info.message ?? p.message) : (p.message ?? info.message);
    }
    const children = take(p.indent);
    let leaves: Leaf[];
    if (children.length > 0) {
      leaves = children.map((c) => ({ ...c, path: [p.name, ...c.path] }));
      const childFailed = children.some((c) => c.status === 'failed' || c.status === 'error');
      if ((p.status === 'failed' || p.status === 'error') && !childFailed) {
        leaves.push({ path: [p.name], name: '(suite)', status: 'error', message: p.message ?? 'the suite failed outside its tests' });
      }
    } else if (p.isSuite) {
      // An empty (or skipped) suite holds no tests; only a failing one must not vanish.
      leaves = p.status === 'failed' ? [{ path: [p.name], name: '(suite)', status: 'error', message: p.message ?? 'the suite failed outside its tests' }] : [];
    } else {
      leaves = [{ path: [], name: p.name, status: p.status, durationMs: p.durationMs, message: p.message }];
    }
    const list = pending.get(p.indent) ?? [];
    for (const leaf of leaves) list.push(leaf);
    pending.set(p.indent, list);
  };

  for await (const { text } of readLines(path, { displayPath })) {
    if (yamlIndent !== -1 && last) {
      const trimmed = text.trim();
      if (trimmed === '...' && indentOf(text) === yamlIndent) {
        yamlIndent = -1;
        continue;
      }
      if (last.yaml && last.yaml.length < MAX_YAML_LINES) last.yaml.push(text.slice(Math.min(yamlIndent, indentOf(text))));
      continue;
    }
    const indent = indentOf(text);
    const line = text.slice(indent);
    if (line === '') continue;
    sawAnything = true;
    if (line === '---' && last && indent > last.indent) {
      yamlIndent = indent;
      last.yaml = [];
      continue;
    }
    const pm = POINT_RE.exec(line);
    if (pm) {
      if (last) close(last);
      let desc = pm[3] ?? '';
      let status: TestStatus = pm[1] === 'ok' ? 'passed' : 'failed';
      let message: string | undefined;
      const dm = DIRECTIVE_RE.exec(desc);
      if (dm) {
        desc = desc.slice(0, dm.index);
        const kind = dm[1]!.toUpperCase();
        if (kind === 'SKIP') status = 'skipped';
        else if (status === 'failed') status = 'skipped';
        message = dm[2] ? firstLines(`${kind.toLowerCase()}: ${dm[2]}`) : kind.toLowerCase();
      }
      const name = collapse(desc.replace(/\\#/g, '#')) || `test ${pm[2] ?? ''}`.trim();
      last = { path: [], name, status, message, indent };
      if (topLevelIndent === undefined || indent < topLevelIndent) topLevelIndent = indent;
      if (indent === topLevelIndent) topPoints++;
      continue;
    }
    const plm = PLAN_RE.exec(line);
    if (plm) {
      if (indent === 0) plan = Number(plm[1]);
      continue;
    }
    if (/^Bail out!/i.test(line)) {
      extra.push({ path: [], name: 'Bail out!', status: 'error', message: firstLines(line.slice(9).trim()) ?? 'the run bailed out' });
      continue;
    }
  }
  if (last) close(last);

  if (!sawAnything) {
    throw new EvidenceError('EVIDENCE_EMPTY', displayPath, `report ${displayPath} is empty`, {
      hint: 'the test tool ran but wrote nothing; check that it finished and that its output goes here',
    });
  }
  const leaves = [...take(-1), ...extra];
  const bailed = extra.length > 0;
  if (topPoints === 0 && plan === undefined && !bailed) {
    throw new EvidenceError('EVIDENCE_MALFORMED', displayPath, `report ${displayPath} has no TAP test points and no plan`, {
      hint: 'point the gate at the TAP output of the test run',
    });
  }
  if (plan === undefined && !bailed && topPoints > 0) {
    throw new EvidenceError(
      'EVIDENCE_TRUNCATED',
      displayPath,
      `report ${displayPath} has ${topPoints} test point(s) but no plan (1..N): the stream was cut before the run finished`,
      { hint: 'the test run was probably killed; rerun the gate' },
    );
  }
  if (plan !== undefined && plan > topPoints) {
    for (let n = topPoints + 1; n <= plan; n++) {
      leaves.push({
        path: [],
        name: `test ${n} (not reported)`,
        status: 'error',
        message: `the plan announced ${plan} tests but only ${topPoints} reported; the run stopped early`,
      });
    }
  }

  const tests: TestResult[] = leaves.map((l) => {
    const suite = l.path.join(' > ');
    const t: TestResult = {
      id: testId({ suite, name: l.name }),
      suite,
      name: l.name,
      status: l.status,
      attempts: 1,
      flaky: false,
    };
    if (l.durationMs !== undefined) t.durationMs = l.durationMs;
    if (l.message !== undefined) t.message = l.message;
    return t;
  });
  return { tests };
}

export const tapParser: FormatParser = {
  format: 'tap',
  sniff: sniffTap,
  parse: parseTap,
};

/**
 * SARIF 2.1.0 (ESLint, Semgrep, CodeQL, Trivy, Bandit, gitleaks, …) → findings.
 *
 * Completeness first: a log only counts when every run finished. A run whose invocation says
 * `executionSuccessful: false`, or holds a tool execution/configuration notification of level
 * `error`, or whose `results` is null/absent (results not computed), and a log with `runs: []`
 * (no scan ran), are EVIDENCE_INCOMPLETE: an incomplete scan is not a clean one.
 *
 * Which results are findings: `kind` `fail` (the default), `review` and `open`; `pass`,
 * `notApplicable` and `informational` results are not findings and are not kept. Results with
 * `baselineState: "absent"` are dropped too: they describe a finding of the baseline run that is
 * gone from this one, not something in the code being gated (dropping them, rather than keeping
 * them marked, means no counting code can mistake them for current findings).
 * Suppressed results (a suppression with status `accepted` or no status) are kept with
 * `suppressed: true`; the policy layer leaves them out of the counts.
 *
 * Level (SARIF §3.27.10): `result.level`; when absent, `none` for a kind other than `fail`,
 * else the rule's `defaultConfiguration.level`, else CodeQL's `problem.severity` rule property,
 * else "warning". Levels are exactly `none`, `note`, `warning`, `error` (case-sensitive): any
 * other string is EVIDENCE_MALFORMED, as are unknown `kind`, `baselineState` and suppression
 * `status` values — a value we cannot read could be hiding a failure.
 * Security severity: a `security-severity` score (result, then rule properties; a number or a
 * numeric string, 0–10, else EVIDENCE_MALFORMED) bucketed with GitHub's bands; without a score, a
 * tool's own label (Bandit `issue_severity`, Trivy's severity tag on vulnerability rules).
 * Location: the first physical location; `file://` URIs become paths (`file:///C:/x%20y` → `C:/x y`),
 * relative URIs stay relative to their `uriBaseId` and are percent-decoded.
 * Fingerprint: see `Finding.fingerprint`.
 */
import { hash } from 'node:crypto';
import { EvidenceError } from '../errors.js';
import type { BaselineState, EvidencePart, Finding, FindingLevel, FormatParser, SecuritySeverity } from './model.js';
import { readJson } from './read.js';
import { isObject, type Json } from './json-shape.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const LEVELS: ReadonlySet<string> = new Set<FindingLevel>(['error', 'warning', 'note', 'none']);
const KINDS: ReadonlySet<string> = new Set(['fail', 'review', 'open', 'pass', 'notApplicable', 'informational']);
/** Result kinds that report something checked and found fine (or not applicable): not findings. */
const NOT_FINDINGS: ReadonlySet<string> = new Set(['pass', 'notApplicable', 'informational']);
const BASELINE_STATES: ReadonlySet<string> = new Set<BaselineState>(['new', 'unchanged', 'updated', 'absent']);
const SUPPRESSION_STATUSES: ReadonlySet<string> = new Set(['accepted', 'underReview', 'rejected']);

const INCOMPLETE_HINT = 'the scanner did not finish: fix its configuration or rerun; an incomplete scan is not a clean one';

export function severityFromScore(score: number): SecuritySeverity | undefined {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score > 0) return 'low';
  return undefined;
}

function severityFromLabel(label: unknown): SecuritySeverity | undefined {
  const l = str(label)?.trim().toLowerCase();
  if (l === 'critical' || l === 'high' || l === 'medium' || l === 'low') return l;
  if (l === 'moderate') return 'medium';
  return undefined;
}

/** A tool's own severity label when it gives no score. */
function labelSeverity(resultProps: unknown, ruleProps: unknown): SecuritySeverity | undefined {
  for (const props of [resultProps, ruleProps]) {
    if (!isObject(props)) continue;
    const own = severityFromLabel(props.issue_severity) ?? severityFromLabel(props.severity);
    if (own) return own;
    const tags = Array.isArray(props.tags) ? props.tags.filter((t): t is string => typeof t === 'string') : [];
    if (tags.some((t) => /^(security|vulnerability)$/i.test(t))) {
      for (const t of tags) {
        const s = severityFromLabel(t);
        if (s) return s;
      }
    }
  }
  return undefined;
}

/** `file:///C:/x%20y` → `C:/x y`; `file:///home/a` → `/home/a`; `src/a%20b.ts` → `src/a b.ts`. */
export function uriToPath(uri: string): string {
  let p = uri;
  const m = /^file:\/\/([^/]*)(\/.*)$/i.exec(uri);
  if (m) {
    p = m[1] !== '' && m[1]!.toLowerCase() !== 'localhost' ? `//${m[1]}${m[2]!}` : m[2]!;
    if (/^\/[A-Za-z](:|%3A)/i.test(p)) p = p.slice(1);
  }
  try {
    return decodeURIComponent(p);
  } catch {
    return p; // a stray `%` that is not an escape: keep the text as the tool wrote it
  }
}

function messageText(result: Json, rule: Json | undefined): string {
  const msg = isObject(result.message) ? result.message : {};
  let text = str(msg.text) ?? str(msg.markdown);
  if (text === undefined && typeof msg.id === 'string' && rule && isObject(rule.messageStrings)) {
    const ms = rule.messageStrings[msg.id];
    text = isObject(ms) ? str(ms.text) : undefined;
  }
  if (text === undefined) return '';
  // Most messages have no placeholders: skip the regex and the arguments copy.
  if (!text.includes('{')) return text;
  const args = Array.isArray(msg.arguments) ? msg.arguments.map(String) : [];
  return text.replace(/\{(\d+)\}/g, (whole, i: string) => args[Number(i)] ?? whole);
}

/**
 * The first physical location, written into `out` (no intermediate object per result). `paths`
 * caches uriToPath per run: a big log names the same few thousand files over and over.
 */
function location(result: Json, run: Json, out: Finding, paths: Map<string, string>): void {
  const locs = Array.isArray(result.locations) ? result.locations : [];
  for (const loc of locs) {
    if (!isObject(loc) || !isObject(loc.physicalLocation)) continue;
    const phys = loc.physicalLocation;
    const art = isObject(phys.artifactLocation) ? phys.artifactLocation : {};
    let uri = str(art.uri);
    // Some producers give only an index into run.artifacts.
    if (uri === undefined && typeof art.index === 'number' && Array.isArray(run.artifacts)) {
      const a: unknown = run.artifacts[art.index];
      if (isObject(a) && isObject(a.location)) uri = str(a.location.uri);
    }
    const region = isObject(phys.region) ? phys.region : {};
    if (uri !== undefined) {
      let file = paths.get(uri);
      if (file === undefined) {
        file = uriToPath(uri);
        if (paths.size < 100_000) paths.set(uri, file);
      }
      out.file = file;
    }
    if (typeof region.startLine === 'number') out.line = region.startLine;
    if (typeof region.startColumn === 'number') out.column = region.startColumn;
    return;
  }
}

function malformed(displayPath: string, what: string): EvidenceError {
  return new EvidenceError('EVIDENCE_MALFORMED', displayPath, `${displayPath}: ${what}`, {
    hint: 'the file is not a SARIF 2.1.0 log, or it was damaged',
  });
}

function incomplete(displayPath: string, what: string): EvidenceError {
  return new EvidenceError('EVIDENCE_INCOMPLETE', displayPath, `report ${displayPath}: ${what}`, { hint: INCOMPLETE_HINT });
}

/**
 * A `security-severity` value: tools write a number or a numeric string ("7.5"). Anything else,
 * or a number outside 0–10, is malformed: a score we cannot read could be a critical one.
 */
function securityScore(displayPath: string, props: unknown, where: string): number | undefined {
  if (!isObject(props)) return undefined;
  const raw = props['security-severity'];
  if (raw === undefined) return undefined;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n < 0 || n > 10) {
    throw malformed(displayPath, `${where} has security-severity ${JSON.stringify(raw)}; it must be a number from 0 to 10`);
  }
  return n;
}

function level(displayPath: string, v: unknown, where: string): FindingLevel | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string' && LEVELS.has(v)) return v as FindingLevel;
  throw malformed(displayPath, `${where} has level ${JSON.stringify(v)}; SARIF levels are "none", "note", "warning" and "error"`);
}

/** What a rule contributes to its results, worked out once per rule. */
interface RuleInfo {
  rule: Json;
  /** Level for results of kind `fail` that give none. */
  defaultLevel: FindingLevel | undefined;
  score: number | undefined;
}

function ruleInfo(displayPath: string, rule: Json, where: string): RuleInfo {
  const props = rule.properties;
  const configured = isObject(rule.defaultConfiguration) ? level(displayPath, rule.defaultConfiguration.level, `${where}.defaultConfiguration`) : undefined;
  const problemSeverity = isObject(props) ? str(props['problem.severity']) : undefined;
  const fromCodeql = problemSeverity === 'recommendation' ? 'note' : problemSeverity !== undefined && LEVELS.has(problemSeverity) ? (problemSeverity as FindingLevel) : undefined;
  return { rule, defaultLevel: configured ?? fromCodeql, score: securityScore(displayPath, props, `${where}.properties`) };
}

/** One-shot `crypto.hash` (Node >= 20.12): ~2.5x faster than createHash, which matters at 1M results. */
function sha16(parts: string[]): string {
  return hash('sha256', parts.join('\u0000'), 'hex').slice(0, 16);
}

/** Keys of a fingerprint object whose values are non-empty strings, sorted (producers order them freely). */
function fingerprintKeys(v: unknown): { obj: Json; keys: string[] } | undefined {
  if (!isObject(v)) return undefined;
  const keys = Object.keys(v).filter((k) => typeof v[k] === 'string' && v[k] !== '');
  return keys.length === 0 ? undefined : { obj: v, keys: keys.sort() };
}

function fingerprint(result: Json, tool: string, ruleId: string, file: string | undefined, message: string): string {
  const full = fingerprintKeys(result.fingerprints);
  if (full) return `${full.keys[0]!}:${full.obj[full.keys[0]!] as string}`;
  // Partial fingerprints (CodeQL's primaryLocationLineHash, gitleaks' commit/author/…) identify a
  // result only together with its rule, and only all of them together.
  const partial = fingerprintKeys(result.partialFingerprints);
  if (partial) return `partial:${sha16([tool, ruleId, ...partial.keys.map((k) => `${k}=${partial.obj[k] as string}`)])}`;
  return sha16([tool, ruleId, file ?? '', message]);
}

/** Why a run cannot be trusted to be complete, or undefined when it can. */
function incompleteRun(displayPath: string, run: Json, label: string): string | undefined {
  if (run.invocations !== undefined && !Array.isArray(run.invocations)) throw malformed(displayPath, `${label}.invocations is not an array`);
  const invocations: unknown[] = run.invocations ?? [];
  for (let i = 0; i < invocations.length; i++) {
    const inv = invocations[i];
    const where = `${label} invocations[${i}]`;
    if (!isObject(inv)) throw malformed(displayPath, `${where} is not an object`);
    const errors: string[] = [];
    for (const field of ['toolExecutionNotifications', 'toolConfigurationNotifications'] as const) {
      const list = inv[field];
      if (list === undefined) continue;
      if (!Array.isArray(list)) throw malformed(displayPath, `${where}.${field} is not an array`);
      list.forEach((n: unknown, k: number) => {
        if (!isObject(n)) throw malformed(displayPath, `${where}.${field}[${k}] is not an object`);
        // A notification's level defaults to "warning" (§3.58.6); only "error" means the run broke.
        if (level(displayPath, n.level, `${where}.${field}[${k}]`) !== 'error') return;
        errors.push(`${field}[${k}]${notificationText(n)}`);
      });
    }
    // A scanner that failed on every file can log thousands of errors: name the first few.
    const listed = errors.length > 3 ? [...errors.slice(0, 3), `and ${errors.length - 3} more`] : errors;
    const ok = inv.executionSuccessful;
    if (ok !== undefined && typeof ok !== 'boolean') throw malformed(displayPath, `${where}.executionSuccessful is ${JSON.stringify(ok)}, not true or false`);
    if (ok === false) {
      const exit: string[] = [];
      if (typeof inv.exitCode === 'number') exit.push(`exit code ${inv.exitCode}`);
      if (typeof inv.exitCodeDescription === 'string') exit.push(JSON.stringify(inv.exitCodeDescription));
      if (typeof inv.exitSignalName === 'string') exit.push(`signal ${inv.exitSignalName}`);
      if (typeof inv.processStartFailureMessage === 'string') exit.push(`could not start: ${JSON.stringify(inv.processStartFailureMessage)}`);
      return `${where} did not complete (executionSuccessful is false${exit.length ? `; ${exit.join(', ')}` : ''})${listed.length ? `; ${listed.join('; ')}` : ''}`;
    }
    if (errors.length > 0) return `${where} reports ${errors.length === 1 ? 'an error' : `${errors.length} errors`} while the tool ran: ${listed.join('; ')}`;
  }
  if (run.results === undefined || run.results === null) {
    return `${label} has ${run.results === null ? '"results": null' : 'no "results"'}: the tool did not compute results`;
  }
  return undefined;
}

function notificationText(n: Json): string {
  const msg = isObject(n.message) ? (str(n.message.text) ?? str(n.message.markdown)) : undefined;
  const id = isObject(n.descriptor) ? str(n.descriptor.id) : undefined;
  const exc = isObject(n.exception) ? str(n.exception.message) : undefined;
  let out = id === undefined ? '' : ` (${id})`;
  if (msg !== undefined) out += `: ${JSON.stringify(msg.length > 300 ? `${msg.slice(0, 300)}…` : msg)}`;
  if (exc !== undefined && exc !== msg) out += ` [exception: ${JSON.stringify(exc.length > 300 ? `${exc.slice(0, 300)}…` : exc)}]`;
  return out;
}

function runFindings(displayPath: string, run: unknown, runIndex: number, out: Finding[]): void {
  if (!isObject(run) || !isObject(run.tool) || !isObject(run.tool.driver)) {
    throw malformed(displayPath, `runs[${runIndex}] has no tool.driver`);
  }
  const driver = run.tool.driver;
  const tool = str(driver.name) ?? 'unknown';
  const label = `runs[${runIndex}] (${tool})`;
  const why = incompleteRun(displayPath, run, label);
  if (why !== undefined) throw incomplete(displayPath, why);
  if (!Array.isArray(run.results)) throw malformed(displayPath, `runs[${runIndex}].results is not an array`);

  const infos = new Map<Json, RuleInfo>();
  const byId = new Map<string, RuleInfo>();
  const components: unknown[] = [driver, ...(Array.isArray(run.tool.extensions) ? run.tool.extensions : [])];
  components.forEach((comp, c) => {
    if (!isObject(comp) || !Array.isArray(comp.rules)) return;
    const base = c === 0 ? `${label} tool.driver` : `${label} tool.extensions[${c - 1}]`;
    comp.rules.forEach((r: unknown, k: number) => {
      if (!isObject(r)) return;
      const id = str(r.id);
      const info = ruleInfo(displayPath, r, `${base}.rules[${k}]${id === undefined ? '' : ` (${id})`}`);
      infos.set(r, info);
      // Duplicate ids happen (gitleaks); the first definition wins, as in SARIF viewers.
      if (id !== undefined && !byId.has(id)) byId.set(id, info);
    });
  });
  const driverRules: unknown[] = Array.isArray(driver.rules) ? driver.rules : [];

  const results: unknown[] = run.results;
  const paths = new Map<string, string>();
  for (let i = 0; i < results.length; i++) {
    const result = results[i];
    const where = `runs[${runIndex}].results[${i}]`;
    if (!isObject(result)) throw malformed(displayPath, `${where} is not an object`);

    const kind = result.kind === undefined ? 'fail' : result.kind;
    if (typeof kind !== 'string' || !KINDS.has(kind)) {
      throw malformed(displayPath, `${where} has kind ${JSON.stringify(kind)}; SARIF kinds are fail, review, open, pass, notApplicable and informational`);
    }
    const given = level(displayPath, result.level, where);
    const state = result.baselineState;
    if (state !== undefined && (typeof state !== 'string' || !BASELINE_STATES.has(state))) {
      throw malformed(displayPath, `${where} has baselineState ${JSON.stringify(state)}; SARIF states are new, unchanged, updated and absent`);
    }
    if (NOT_FINDINGS.has(kind) || state === 'absent') continue;

    const ruleRef = isObject(result.rule) ? result.rule : undefined;
    const index = typeof result.ruleIndex === 'number' ? result.ruleIndex : typeof ruleRef?.index === 'number' ? ruleRef.index : undefined;
    const indexed: unknown = index === undefined ? undefined : driverRules[index];
    const ruleIdGiven = str(result.ruleId) ?? str(ruleRef?.id);
    const indexedInfo = isObject(indexed) ? infos.get(indexed) : undefined;
    const info =
      (indexedInfo && (ruleIdGiven === undefined || indexedInfo.rule.id === ruleIdGiven) ? indexedInfo : undefined) ??
      (ruleIdGiven === undefined ? indexedInfo : byId.get(ruleIdGiven));
    const rule = info?.rule;
    const ruleId = ruleIdGiven ?? str(rule?.id) ?? 'unknown';
    // §3.27.10: a result that is not a failure (review, open) defaults to "none".
    const lvl = given ?? (kind !== 'fail' ? 'none' : (info?.defaultLevel ?? 'warning'));
    const message = messageText(result, rule);
    const finding: Finding = { tool, ruleId, level: lvl, message, fingerprint: '' };
    location(result, run, finding, paths);

    const s = securityScore(displayPath, result.properties, `${where}.properties`) ?? info?.score;
    if (s !== undefined) {
      finding.securityScore = s;
      const band = severityFromScore(s);
      if (band) finding.securitySeverity = band;
    } else {
      const own = labelSeverity(result.properties, rule?.properties);
      if (own) finding.securitySeverity = own;
    }
    if (result.suppressions !== undefined && isSuppressed(displayPath, result.suppressions, where)) finding.suppressed = true;
    if (state !== undefined) finding.baselineState = state as BaselineState;
    finding.fingerprint = fingerprint(result, tool, ruleId, finding.file, message);
    out.push(finding);
  }
}

/**
 * §3.27.23: a result is suppressed when some suppression is accepted (a missing status means
 * accepted); one only under review or rejected still counts. An empty array means the tool
 * looked for suppressions and found none.
 */
function isSuppressed(displayPath: string, suppressions: unknown, where: string): boolean {
  if (!Array.isArray(suppressions)) throw malformed(displayPath, `${where}.suppressions is not an array`);
  let suppressed = false;
  suppressions.forEach((sup: unknown, k: number) => {
    if (!isObject(sup)) throw malformed(displayPath, `${where}.suppressions[${k}] is not an object`);
    const status = sup.status;
    if (status === undefined || status === 'accepted') suppressed = true;
    else if (typeof status !== 'string' || !SUPPRESSION_STATUSES.has(status)) {
      throw malformed(displayPath, `${where}.suppressions[${k}] has status ${JSON.stringify(status)}; SARIF statuses are accepted, underReview and rejected`);
    }
  });
  return suppressed;
}

async function parse(path: string, opts: { displayPath: string }): Promise<EvidencePart> {
  const { displayPath } = opts;
  const doc = await readJson(path, opts);
  if (!isObject(doc)) throw malformed(displayPath, 'the top level is not a JSON object');
  if (doc.version !== '2.1.0') {
    throw malformed(displayPath, `SARIF version is ${JSON.stringify(doc.version)}; only 2.1.0 is read`);
  }
  if (!Array.isArray(doc.runs)) throw malformed(displayPath, '"runs" is missing or not an array');
  if (doc.runs.length === 0) throw incomplete(displayPath, 'the log has no runs ("runs": []): no scan ran');
  const findings: Finding[] = [];
  doc.runs.forEach((run: unknown, i: number) => runFindings(displayPath, run, i, findings));
  return { findings };
}

export const sarifParser: FormatParser = {
  format: 'sarif',
  sniff: (head) =>
    /"runs"\s*:\s*\[/.test(head) &&
    (/"version"\s*:\s*"2\.1\.0"/.test(head) || /sarif[^"]*2\.1\.0/i.test(head) || /"tool"\s*:\s*\{\s*"driver"/.test(head)),
  parse,
};

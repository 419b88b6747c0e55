/**
 * SARIF 2.1.0 (ESLint, Semgrep, CodeQL, Trivy, Bandit, gitleaks, …) → findings.
 *
 * Level: `result.level`, else the rule's `defaultConfiguration.level`, else CodeQL's
 * `problem.severity` rule property, else SARIF's default "warning".
 * Security severity: a `security-severity` score (result, then rule properties) bucketed with
 * GitHub's bands; without a score, a tool's own label (Bandit `issue_severity`, Trivy's severity
 * tag on vulnerability rules).
 * Location: the first physical location; `file://` URIs become paths (`file:///C:/x%20y` → `C:/x y`),
 * relative URIs stay relative to their `uriBaseId` and are percent-decoded.
 */
import { createHash } from 'node:crypto';
import { EvidenceError } from '../errors.js';
import type { EvidencePart, Finding, FindingLevel, FormatParser, SecuritySeverity } from './model.js';
import { readJson } from './read.js';
import { isObject, type Json } from './json-shape.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const LEVELS: readonly FindingLevel[] = ['error', 'warning', 'note', 'none'];
const asLevel = (v: unknown): FindingLevel | undefined => (LEVELS.includes(v as FindingLevel) ? (v as FindingLevel) : undefined);

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

function score(props: unknown): number | undefined {
  if (!isObject(props)) return undefined;
  const raw = props['security-severity'];
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  return Number.isFinite(n) && n >= 0 && n <= 10 ? n : undefined;
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
  const args = Array.isArray(msg.arguments) ? msg.arguments.map(String) : [];
  let text = str(msg.text) ?? str(msg.markdown);
  if (text === undefined && typeof msg.id === 'string' && rule && isObject(rule.messageStrings)) {
    const ms = rule.messageStrings[msg.id];
    text = isObject(ms) ? str(ms.text) : undefined;
  }
  return (text ?? '').replace(/\{(\d+)\}/g, (whole, i: string) => args[Number(i)] ?? whole);
}

function location(result: Json, run: Json): Pick<Finding, 'file' | 'line' | 'column'> {
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
    const out: Pick<Finding, 'file' | 'line' | 'column'> = {};
    if (uri !== undefined) out.file = uriToPath(uri);
    if (typeof region.startLine === 'number') out.line = region.startLine;
    if (typeof region.startColumn === 'number') out.column = region.startColumn;
    return out;
  }
  return {};
}

function malformed(displayPath: string, what: string): EvidenceError {
  return new EvidenceError('EVIDENCE_MALFORMED', displayPath, `${displayPath}: ${what}`, {
    hint: 'the file is not a SARIF 2.1.0 log, or it was damaged',
  });
}

function runFindings(displayPath: string, run: unknown, runIndex: number): Finding[] {
  if (!isObject(run) || !isObject(run.tool) || !isObject(run.tool.driver)) {
    throw malformed(displayPath, `runs[${runIndex}] has no tool.driver`);
  }
  const driver = run.tool.driver;
  const tool = str(driver.name) ?? 'unknown';
  const rules: Json[] = [];
  for (const comp of [driver, ...(Array.isArray(run.tool.extensions) ? run.tool.extensions : [])]) {
    if (isObject(comp) && Array.isArray(comp.rules)) for (const r of comp.rules) rules.push(isObject(r) ? r : {});
  }
  const driverRules = Array.isArray(driver.rules) ? driver.rules : [];
  const byId = new Map<string, Json>();
  for (const r of rules) {
    const id = str(r.id);
    // Duplicate ids happen (gitleaks); the first definition wins, as in SARIF viewers.
    if (id !== undefined && !byId.has(id)) byId.set(id, r);
  }
  if (run.results === undefined || run.results === null) return [];
  if (!Array.isArray(run.results)) throw malformed(displayPath, `runs[${runIndex}].results is not an array`);

  return run.results.map((result: unknown, i: number): Finding => {
    if (!isObject(result)) throw malformed(displayPath, `runs[${runIndex}].results[${i}] is not an object`);
    const ruleRef = isObject(result.rule) ? result.rule : {};
    const index = typeof result.ruleIndex === 'number' ? result.ruleIndex : typeof ruleRef.index === 'number' ? ruleRef.index : undefined;
    const indexed: unknown = index === undefined ? undefined : driverRules[index];
    const ruleIdGiven = str(result.ruleId) ?? str(ruleRef.id);
    const rule = (isObject(indexed) && (ruleIdGiven === undefined || indexed.id === ruleIdGiven) ? indexed : undefined) ??
      (ruleIdGiven === undefined ? (isObject(indexed) ? indexed : undefined) : byId.get(ruleIdGiven));
    const ruleId = ruleIdGiven ?? str(rule?.id) ?? 'unknown';
    const ruleProps = rule?.properties;
    const defaultLevel = isObject(rule?.defaultConfiguration) ? asLevel(rule.defaultConfiguration.level) : undefined;
    const problemSeverity = isObject(ruleProps) ? str(ruleProps['problem.severity']) : undefined;
    const level =
      asLevel(result.level) ??
      defaultLevel ??
      (problemSeverity === 'recommendation' ? 'note' : asLevel(problemSeverity)) ??
      'warning';
    const message = messageText(result, rule);
    const loc = location(result, run);
    const fingerprint = createHash('sha256').update(`${tool}\0${ruleId}\0${loc.file ?? ''}\0${message}`).digest('hex').slice(0, 16);
    const finding: Finding = { tool, ruleId, level, message, ...loc, fingerprint };
    const s = score(result.properties) ?? score(ruleProps);
    if (s !== undefined) {
      finding.securityScore = s;
      const band = severityFromScore(s);
      if (band) finding.securitySeverity = band;
    } else {
      const label = labelSeverity(result.properties, ruleProps);
      if (label) finding.securitySeverity = label;
    }
    return finding;
  });
}

async function parse(path: string, opts: { displayPath: string }): Promise<EvidencePart> {
  const { displayPath } = opts;
  const doc = await readJson(path, opts);
  if (!isObject(doc)) throw malformed(displayPath, 'the top level is not a JSON object');
  if (doc.version !== '2.1.0') {
    throw malformed(displayPath, `SARIF version is ${JSON.stringify(doc.version)}; only 2.1.0 is read`);
  }
  if (!Array.isArray(doc.runs)) throw malformed(displayPath, '"runs" is missing or not an array');
  return { findings: doc.runs.flatMap((run, i) => runFindings(displayPath, run, i)) };
}

export const sarifParser: FormatParser = {
  format: 'sarif',
  sniff: (head) =>
    /"runs"\s*:\s*\[/.test(head) &&
    (/"version"\s*:\s*"2\.1\.0"/.test(head) || /sarif[^"]*2\.1\.0/i.test(head) || /"tool"\s*:\s*\{\s*"driver"/.test(head)),
  parse,
};

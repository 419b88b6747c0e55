/**
 * The release decision as an in-toto Statement v1 whose predicate is a SLSA Verification Summary
 * (`https://slsa.dev/verification_summary/v1`):
 *
 * - `subject`: what was verified — every artifact the gates checked (name: its path as the gate
 *   saw it, digest: the sha256 recorded when the gate judged it), plus subjects given with
 *   `--subject` (a file, hashed now, or `NAME@sha256:HEX`, e.g. a pushed image); with none of
 *   those, the commit (`gitCommit` digest);
 * - `verifier.id` `pkg:npm/shipgate` with its version; `timeVerified` when the decision was made;
 * - `resourceUri` `pkg:generic/<project>@<version>`;
 * - `policy`: the configuration file, by its sha256 (the policy the decision was made under);
 * - `inputAttestations`: every evidence file the gates read, by its sha256 now (a file changed
 *   after the run is refused: its digest would not be what was judged);
 * - `verificationResult` PASSED only for a READY, full, uninterrupted run, otherwise FAILED;
 *   `verifiedLevels` `SHIPGATE_RELEASE_READY` or `FAILED`;
 * - `shipgate`: shipgate's own record — result, version, commit, branch, run, the tree, every
 *   gate's verdict and every requirement's, and the blockers.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import type { Decision } from '../decide/types.js';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const VSA_PREDICATE_TYPE = 'https://slsa.dev/verification_summary/v1';
export const VERIFIER_ID = 'pkg:npm/shipgate';

export interface Subject {
  name: string;
  digest: Record<string, string>;
}

export interface ResourceDescriptor {
  name?: string;
  uri?: string;
  digest: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface VsaPredicate {
  verifier: { id: string; version: Record<string, string> };
  timeVerified: string;
  resourceUri: string;
  policy: ResourceDescriptor;
  inputAttestations: ResourceDescriptor[];
  verificationResult: 'PASSED' | 'FAILED';
  verifiedLevels: string[];
  slsaVersion: string;
  shipgate: {
    result: Decision['result'];
    project: string;
    version: string;
    commit: string | null;
    branch: string | null;
    runId: string;
    startedAt: string;
    ci: boolean;
    strict: boolean;
    partial: boolean;
    interrupted: boolean;
    tree: Decision['tree'];
    gates: { id: string; title: string; status: string; severity: string; reason?: string; counts?: Decision['gates'][number]['counts'] }[];
    requirements: { id: string; title: string; status: string }[];
    blockers: string[];
  };
}

export interface Statement {
  _type: typeof STATEMENT_TYPE;
  subject: Subject[];
  predicateType: typeof VSA_PREDICATE_TYPE;
  predicate: VsaPredicate;
}

export class AttestError extends Error {}

export async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** `NAME@sha256:HEX` → a subject, or undefined when the text is not of that form. */
export function parseDigestSubject(text: string): Subject | undefined {
  const m = /^(.+)@sha256:([0-9a-fA-F]{64})$/.exec(text);
  return m ? { name: m[1]!, digest: { sha256: m[2]!.toLowerCase() } } : undefined;
}

const rel = (root: string, p: string) => {
  const r = relative(root, p);
  return isAbsolute(p) && !r.startsWith('..') && !isAbsolute(r) ? r.split('\\').join('/') : p;
};

export function passed(d: Decision): boolean {
  return d.result === 'READY' && !d.partial && !d.interrupted;
}

export interface StatementOptions {
  /** The project root: paths are shown relative to it. */
  rootDir: string;
  shipgateVersion: string;
  extraSubjects?: Subject[];
}

export async function buildStatement(d: Decision, opts: StatementOptions): Promise<Statement> {
  const subjects: Subject[] = [];
  const seen = new Set<string>();
  const addSubject = (s: Subject) => {
    const key = `${s.name}\u0000${JSON.stringify(s.digest)}`;
    if (!seen.has(key)) {
      seen.add(key);
      subjects.push(s);
    }
  };
  for (const g of d.gates) for (const a of g.artifacts ?? []) addSubject({ name: a.path, digest: { sha256: a.sha256 } });
  for (const s of opts.extraSubjects ?? []) addSubject(s);
  if (!subjects.length && d.commit) addSubject({ name: `git+commit:${d.project}`, digest: { gitCommit: d.commit } });
  if (!subjects.length) throw new AttestError('nothing to attest: no gate checked an artifact, no --subject was given, and the run has no commit');

  if (!d.configHash) throw new AttestError(`run ${d.runId} does not name the hash of its configuration; run it again with this shipgate`);
  const endedMs = Date.parse(d.startedAt) + d.durationMs;
  const inputs: ResourceDescriptor[] = [];
  const seenInputs = new Set<string>();
  for (const g of d.gates) {
    for (const r of g.reports ?? []) {
      if (seenInputs.has(r.path)) continue;
      seenInputs.add(r.path);
      let st;
      try {
        st = await stat(r.path);
      } catch {
        // A declared report that was never written is part of why its gate failed, not an input.
        if (!r.ok) continue;
        throw new AttestError(`the evidence file ${rel(opts.rootDir, r.path)} (gate ${g.id}) is gone; the attestation would not name what was judged`);
      }
      if (st.mtimeMs > endedMs + 1000) throw new AttestError(`the evidence file ${rel(opts.rootDir, r.path)} (gate ${g.id}) changed after run ${d.runId} ended; attest right after the run (shipgate run --attest)`);
      inputs.push({ name: rel(opts.rootDir, r.path), digest: { sha256: await sha256Of(r.path) }, annotations: { gate: g.id, ...(r.format ? { format: r.format } : {}) } });
    }
  }

  const ok = passed(d);
  return {
    _type: STATEMENT_TYPE,
    subject: subjects,
    predicateType: VSA_PREDICATE_TYPE,
    predicate: {
      verifier: { id: VERIFIER_ID, version: { shipgate: opts.shipgateVersion } },
      timeVerified: new Date(Number.isFinite(endedMs) ? endedMs : Date.now()).toISOString(),
      resourceUri: `pkg:generic/${encodeURIComponent(d.project)}@${encodeURIComponent(d.version)}`,
      policy: { uri: d.configFile ? rel(opts.rootDir, d.configFile) : 'shipgate.yml', digest: { sha256: d.configHash } },
      inputAttestations: inputs,
      verificationResult: ok ? 'PASSED' : 'FAILED',
      verifiedLevels: ok ? ['SHIPGATE_RELEASE_READY'] : ['FAILED'],
      slsaVersion: '1.0',
      shipgate: {
        result: d.result,
        project: d.project,
        version: d.version,
        commit: d.commit,
        branch: d.branch,
        runId: d.runId,
        startedAt: d.startedAt,
        ci: d.ci,
        strict: d.strict,
        partial: !!d.partial,
        interrupted: !!d.interrupted,
        tree: d.tree ?? null,
        gates: d.gates.map((g) => ({ id: g.id, title: g.title, status: g.status, severity: g.severity, ...(g.reason ? { reason: g.reason } : {}), ...(g.counts ? { counts: g.counts } : {}) })),
        requirements: d.requirements.map((r) => ({ id: r.id, title: r.title, status: r.status })),
        blockers: d.blockers,
      },
    },
  };
}

/**
 * Verdicts → the decision. Pure. The rules that make it trustworthy live here, in one place:
 * a failed or pending blocking gate blocks; a blocking gate that could not run blocks; a skipped
 * blocking gate is named, and blocks under --strict; a failed blocking requirement blocks; an
 * interrupted run never reads READY, nor does a run in which no gate ran. Optional gates that
 * were not enabled never block.
 */
import type { Decision, GateVerdict } from './types.js';

/** Everything in a decision except what deciding works out: the result, blockers and warnings. */
export type DecideInput = Omit<Decision, 'result' | 'blockers' | 'warnings' | 'publish'> & {
  /** `--require-clean`: a run on uncommitted changes (or an unknown tree) blocks. */
  requireClean?: boolean;
};

function blockerFor(g: GateVerdict, strict: boolean): string | undefined {
  if (g.severity !== 'block') return undefined;
  switch (g.status) {
    case 'fail':
      return `${g.id}: ${g.reason ?? 'failed'}`;
    case 'pending':
      return `${g.id}: ${g.reason ?? 'awaiting approval'}`;
    case 'not-run':
      return `${g.id}: did not run (${g.reason ?? 'not run'})`;
    case 'cancelled':
      return `${g.id}: cancelled`;
    case 'skip':
      // An optional gate is opt-in by definition; --strict is about gates the project always expects.
      return strict && !g.optional ? `${g.id}: skipped (${g.reason ?? 'not selected'}) and --strict is set` : undefined;
    default:
      return undefined;
  }
}

export function decide(input: DecideInput): Decision {
  const blockers: string[] = [];
  const warnings: string[] = [];
  if (input.interrupted) blockers.push('the run was interrupted before it finished');
  const tree = input.tree;
  if (input.requireClean) {
    if (tree === null || tree === undefined) blockers.push('--require-clean is set, but the working tree cannot be checked (not a git repository)');
    else if (tree.dirty) blockers.push(`--require-clean is set and the working tree has uncommitted changes (${tree.files} file${tree.files === 1 ? '' : 's'})`);
  }
  // What was tested is not what is committed: said on every such run, never silent.
  if (tree?.dirty) warnings.push(`uncommitted changes: ${tree.files} file${tree.files === 1 ? '' : 's'}; this run is never last-good nor a baseline`);
  if (input.partial) warnings.push(`partial run (${input.selection ?? 'gates left out'}): never last-good nor a baseline`);
  // Nothing checked is not evidence of anything: a run in which every gate was skipped cannot be READY.
  if (!input.gates.some((g) => g.status !== 'skip')) blockers.push('no gate ran: every gate was left out of this run, so nothing was checked');
  for (const g of input.gates) {
    const b = blockerFor(g, input.strict);
    if (b) blockers.push(b);
    if (g.status === 'warn') warnings.push(`${g.id}: ${g.reason ?? 'failed (warn)'}`);
    for (const w of g.warnings) warnings.push(`${g.id}: ${w}`);
  }
  for (const r of input.requirements) {
    if (r.status === 'fail') {
      const names = [
        ...r.unmatched.map((p) => `${p} (no such test ran)`),
        ...r.failed.map((t) => `${t.id} ${t.status}`),
        ...r.notRun.map((t) => `${t.id} did not run`),
        ...r.unproven.map((t) => `${t.id} unproven (quarantined)`),
      ];
      blockers.push(`requirement ${r.id}: ${names.slice(0, 5).join(', ')}${names.length > 5 ? `, and ${names.length - 5} more` : ''}`);
    } else if (r.status === 'warn') {
      warnings.push(`requirement ${r.id} is not met`);
    }
  }
  return {
    result: blockers.length ? 'BLOCKED' : 'READY',
    project: input.project,
    version: input.version,
    commit: input.commit,
    branch: input.branch,
    ci: input.ci,
    strict: input.strict,
    runId: input.runId,
    runDir: input.runDir,
    startedAt: input.startedAt,
    durationMs: input.durationMs,
    ...(input.configHash !== undefined ? { configHash: input.configHash, configFile: input.configFile } : {}),
    gates: input.gates,
    requirements: input.requirements,
    blockers,
    warnings,
    ...(input.interrupted ? { interrupted: true } : {}),
    ...(input.partial ? { partial: true, selection: input.selection } : {}),
    ...(input.tree !== undefined ? { tree: input.tree } : {}),
    ...(input.labels?.length ? { labels: input.labels } : {}),
  };
}

/**
 * "Why blocked" in one sentence, from the decision alone: the blockers the decision recorded (the
 * same lines the terminal printed), joined; never a reason the decision does not hold.
 */
import type { Decision } from '../../decide/types.js';

export function whyBlocked(d: Decision | null, state: string): string {
  if (!d) return state === 'running' ? 'This run is still running: no decision yet.' : 'This run has no recorded decision (it was interrupted before deciding).';
  if (d.interrupted) return 'The run was interrupted, so the release is BLOCKED: an unfinished run proves nothing.';
  if (d.result === 'READY') {
    const partial = d.partial ? ` — but it was partial (${d.selection ?? 'gates left out'}), so it is not a last-good release` : '';
    return `READY: every blocking gate passed on evidence${partial}.`;
  }
  const blockers = d.blockers.filter((b) => b.trim() !== '');
  if (blockers.length === 0) return 'BLOCKED (the decision lists no blocker).';
  const shown = blockers.slice(0, 3).join('; ');
  return `BLOCKED because ${shown}${blockers.length > 3 ? `; and ${blockers.length - 3} more` : ''}.`;
}

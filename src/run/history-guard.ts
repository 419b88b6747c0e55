/**
 * History that may break at any moment of a run (the database restarts, the connection drops
 * mid-transaction, the disk under SQLite fills) without taking the decision with it.
 *
 * Once the run has begun, a store error never ends it: the first error is kept, the store is not
 * touched again (a half-recorded run must not gain more rows from a connection that came back),
 * every later read answers the way that blocks (no quarantine, no baseline, no approval) and the
 * run ends BLOCKED "the run could not be recorded in history: … [STORE_…]". The gates still run
 * and their results are still printed: a team whose database is down still learns what passed.
 */
import { ShipgateError } from '../errors.js';
import type { History } from './history.js';

/** Closing a store that lost its server must not hold the process. */
const CLOSE_TIMEOUT_MS = 5_000;

export interface GuardedHistory extends History {
  /** The first store error of the run, as a sentence with its code; undefined while all is well. */
  readonly failure: string | undefined;
}

function describe(e: unknown): string {
  if (e instanceof ShipgateError) return `${e.message} [${e.code}]`;
  const err = e as NodeJS.ErrnoException;
  return `${err?.message ?? String(e)}${err?.code ? ` [${err.code}]` : ''}`;
}

export function guardHistory(history: History): GuardedHistory {
  let failure: string | undefined;
  const unreadable = () => `history could not be read: ${failure}`;

  /** Run `op` unless the store already failed; on its first error remember why and answer `fallback`. */
  async function guarded<T>(op: () => Promise<T>, fallback: () => T): Promise<T> {
    if (failure !== undefined) return fallback();
    try {
      return await op();
    } catch (e) {
      failure ??= describe(e);
      return fallback();
    }
  }

  return {
    store: history.store,
    get failure() {
      return failure;
    },
    begin: (run) => guarded(() => history.begin(run), () => undefined),
    finish: (runId, decision, outcomes, measured, tests) => guarded(() => history.finish(runId, decision, outcomes, measured, tests), () => undefined),
    // A quarantine that cannot be read excuses nothing: quarantined tests count as the failures they are.
    quarantine: () => guarded(() => history.quarantine(), () => []),
    baselines: (policy) =>
      guarded(
        () => history.baselines(policy),
        () => () => ({ samples: [], cfg: policy, missing: unreadable() }),
      ),
    findingsBaselines: (policy, gates) =>
      guarded(
        () => history.findingsBaselines(policy, gates),
        () => () => ({ missing: unreadable() }),
      ),
    approvals: (gate, version, commit, actor) =>
      guarded(
        () => history.approvals(gate, version, commit, actor),
        () => ({
          status: 'failed' as const,
          reason: `approvals could not be read: ${failure}`,
          checks: [{ check: 'approval', expected: 'recorded in history', actual: `history could not be read: ${failure}`, ok: false }],
        }),
      ),
    // No history of a test: nothing is excused as flaky (the run is BLOCKED by the failure anyway).
    flakyEvidence: (ids, commit, tree) => guarded(() => history.flakyEvidence(ids, commit, tree), () => []),
    badKeysOnCommit: (commit, tree) => guarded(() => history.badKeysOnCommit(commit, tree), () => []),
    async close() {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        history.close().catch(() => undefined),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
          timer.unref();
        }),
      ]);
      if (timer) clearTimeout(timer);
    },
  };
}

/**
 * Delivery figures from the run history, pure. An incident starts at a BLOCKED run on a branch
 * whose previous counted run there was READY (or that is the branch's first run), and ends at the
 * next READY run on that branch.
 *   time to detect: the blocking commit's commit time → the start of that first BLOCKED run;
 *   time to recover: the end of the first BLOCKED run → the end of the next READY run.
 * Partial runs and runs on uncommitted changes do not count (they did not test the commit), and
 * neither do unfinished ones. Weeks are ISO weeks (Monday 00:00 UTC) of the incident's start.
 */
export interface DeliveryRun {
  id: string;
  branch: string | null;
  commit: string | null;
  startedAt: string;
  endedAt: string | null;
  result: 'READY' | 'BLOCKED' | null;
  state: string;
  partial: boolean;
  dirty: boolean | null;
}

export interface Incident {
  branch: string;
  blockedRunId: string;
  commit: string | null;
  blockedAt: string;
  /** Milliseconds, or null when the commit's time is unknown (no git checkout here) or after the run. */
  detectMs: number | null;
  recoveredRunId: string | null;
  recoverMs: number | null;
}

export interface DeliveryWeek {
  week: string;
  incidents: number;
  /** Mean over the week's incidents that have the figure; null when none has it. */
  mttdMs: number | null;
  mttrMs: number | null;
  /** Incidents still open (no READY yet). */
  open: number;
}

function counted(r: DeliveryRun): boolean {
  return r.state === 'finished' && r.result !== null && !r.partial && r.dirty !== true && r.branch !== null && r.endedAt !== null;
}

/** Runs in any order; `commitTime` gives a commit's time (ISO) when it is known. */
export function incidents(runs: readonly DeliveryRun[], commitTime: (sha: string) => string | undefined): Incident[] {
  const byBranch = new Map<string, DeliveryRun[]>();
  for (const r of runs.filter(counted)) {
    let list = byBranch.get(r.branch!);
    if (!list) byBranch.set(r.branch!, (list = []));
    list.push(r);
  }
  const out: Incident[] = [];
  for (const [branch, list] of byBranch) {
    list.sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.id < b.id ? -1 : 1));
    let open: Incident | undefined;
    let openEnd = 0;
    let prev: DeliveryRun | undefined;
    for (const r of list) {
      if (r.result === 'BLOCKED' && !open && (prev === undefined || prev.result === 'READY')) {
        const ct = r.commit ? commitTime(r.commit) : undefined;
        const detect = ct === undefined ? null : Date.parse(r.startedAt) - Date.parse(ct);
        open = { branch, blockedRunId: r.id, commit: r.commit, blockedAt: r.startedAt, detectMs: detect !== null && detect >= 0 ? detect : null, recoveredRunId: null, recoverMs: null };
        openEnd = Date.parse(r.endedAt!);
        out.push(open);
      } else if (r.result === 'READY' && open) {
        open.recoveredRunId = r.id;
        open.recoverMs = Math.max(0, Date.parse(r.endedAt!) - openEnd);
        open = undefined;
      }
      prev = r;
    }
  }
  return out.sort((a, b) => (a.blockedAt < b.blockedAt ? -1 : a.blockedAt > b.blockedAt ? 1 : 0));
}

/** Monday of the ISO week of `iso`, as YYYY-MM-DD (UTC). */
export function weekOf(iso: string): string {
  const d = new Date(iso);
  const day = (d.getUTCDay() + 6) % 7; // Monday 0
  const monday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day));
  return monday.toISOString().slice(0, 10);
}

function mean(xs: number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function deliveryWeeks(list: readonly Incident[]): DeliveryWeek[] {
  const weeks = new Map<string, Incident[]>();
  for (const i of list) {
    const w = weekOf(i.blockedAt);
    let l = weeks.get(w);
    if (!l) weeks.set(w, (l = []));
    l.push(i);
  }
  return [...weeks]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([week, l]) => ({
      week,
      incidents: l.length,
      mttdMs: mean(l.flatMap((i) => (i.detectMs === null ? [] : [i.detectMs]))),
      mttrMs: mean(l.flatMap((i) => (i.recoverMs === null ? [] : [i.recoverMs]))),
      open: l.filter((i) => i.recoveredRunId === null).length,
    }));
}

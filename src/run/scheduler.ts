/**
 * A scheduler over the gate graph: a ready queue, a concurrency limit, fail-fast and cancellation.
 * It knows nothing about gates; it runs tasks whose needs have succeeded and tells the caller why
 * the others never started.
 */

export interface Task<R> {
  id: string;
  /** Ids of tasks in the same schedule that must succeed first. */
  needs: readonly string[];
  run(signal: AbortSignal): Promise<R>;
}

export type NotRunCause = { kind: 'need'; need: string; needResult: 'failed' | 'not-run' } | { kind: 'fail-fast'; by: string } | { kind: 'cancelled' };

export interface ScheduleOptions<R> {
  concurrency: number;
  failFast?: boolean;
  signal?: AbortSignal;
  /** Did this result succeed (so that dependents may run)? */
  succeeded(result: R): boolean;
  /** Turn a task that threw into a (failed) result, so a bug in one gate never hangs the run. */
  crashed(id: string, error: unknown): R;
  /** With fail-fast: does this failure stop the run? (e.g. only blocking gates) */
  stopsRun?(result: R): boolean;
  onStart?(id: string): void;
  onEnd?(id: string, result: R): void;
  onNotRun?(id: string, cause: NotRunCause): void;
}

export interface ScheduleResult<R> {
  results: Map<string, R>;
  notRun: Map<string, NotRunCause>;
  /** Order in which tasks started (for tests and logs). */
  startOrder: string[];
}

export async function schedule<R>(tasks: readonly Task<R>[], opts: ScheduleOptions<R>): Promise<ScheduleResult<R>> {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const results = new Map<string, R>();
  const notRun = new Map<string, NotRunCause>();
  const startOrder: string[] = [];
  const running = new Map<string, Promise<void>>();
  const failed = new Set<string>();
  const internal = new AbortController();
  const onOuterAbort = () => internal.abort(opts.signal?.reason);
  if (opts.signal?.aborted) internal.abort(opts.signal.reason);
  else opts.signal?.addEventListener('abort', onOuterAbort, { once: true });

  let stopped: NotRunCause | undefined = opts.signal?.aborted ? { kind: 'cancelled' } : undefined;
  const limit = Math.max(1, Math.floor(opts.concurrency));
  const pending = new Set(tasks.map((t) => t.id));

  // What the pump asks after every task, kept as it changes rather than recomputed: on a graph of
  // n tasks, scanning every pending task's needs after each end made a run O(n²) (200 `true`
  // gates spent 80 ms of the main thread on it). The answers, and their order, are the same.
  const index = new Map(tasks.map((t, i) => [t.id, i]));
  /** Needs (in this schedule, counted once) that have not succeeded yet. */
  const unmet = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const t of tasks) {
    const needs = new Set(t.needs.filter((n) => byId.has(n)));
    unmet.set(t.id, needs.size);
    for (const n of needs) (dependents.get(n) ?? dependents.set(n, []).get(n)!).push(t.id);
  }
  /** Indexes of the tasks whose needs have all succeeded, in the order the tasks were given. */
  const readyQueue = tasks.map((_, i) => i).filter((i) => unmet.get(tasks[i]!.id) === 0);
  const enqueue = (id: string) => {
    const i = index.get(id)!;
    let lo = 0;
    let hi = readyQueue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (readyQueue[mid]! < i) lo = mid + 1;
      else hi = mid;
    }
    readyQueue.splice(lo, 0, i);
  };
  const succeededNow = (id: string) => {
    for (const d of dependents.get(id) ?? []) {
      const left = unmet.get(d)! - 1;
      unmet.set(d, left);
      if (left === 0 && pending.has(d)) enqueue(d);
    }
  };
  /** Set when a task failed or was settled as not run: only then can propagate() find anything. */
  let unsettled = false;

  const markNotRun = (id: string, cause: NotRunCause) => {
    pending.delete(id);
    notRun.set(id, cause);
    unsettled = true;
    opts.onNotRun?.(id, cause);
  };

  /** Settle what can be settled without running: tasks whose needs failed or never ran. */
  const propagate = () => {
    let changed = unsettled;
    unsettled = false;
    while (changed) {
      changed = false;
      for (const id of [...pending]) {
        const task = byId.get(id)!;
        for (const need of task.needs) {
          if (!byId.has(need)) continue;
          if (failed.has(need)) {
            markNotRun(id, { kind: 'need', need, needResult: 'failed' });
            changed = true;
            break;
          }
          if (notRun.has(need)) {
            markNotRun(id, { kind: 'need', need, needResult: 'not-run' });
            changed = true;
            break;
          }
        }
      }
    }
    unsettled = false;
  };

  /** The tasks that may start now, in the order given; those started or marked not run since leave the queue here. */
  const ready = (): Task<R>[] => {
    for (let k = readyQueue.length - 1; k >= 0; k--) if (!pending.has(tasks[readyQueue[k]!]!.id)) readyQueue.splice(k, 1);
    return readyQueue.map((i) => tasks[i]!);
  };

  await new Promise<void>((resolveAll) => {
    const pump = () => {
      if (stopped) {
        for (const id of [...pending]) markNotRun(id, stopped);
      }
      propagate();
      if (!stopped) {
        for (const task of ready()) {
          if (running.size >= limit) break;
          pending.delete(task.id);
          startOrder.push(task.id);
          opts.onStart?.(task.id);
          const p = task
            .run(internal.signal)
            .catch((e: unknown) => opts.crashed(task.id, e))
            .then((r) => {
              results.set(task.id, r);
              if (opts.succeeded(r)) succeededNow(task.id);
              else {
                failed.add(task.id);
                unsettled = true;
                if (opts.failFast && (opts.stopsRun?.(r) ?? true) && !stopped) {
                  stopped = { kind: 'fail-fast', by: task.id };
                  internal.abort(new Error(`fail-fast: ${task.id} failed`));
                }
              }
              opts.onEnd?.(task.id, r);
            })
            .finally(() => {
              running.delete(task.id);
              pump();
            });
          running.set(task.id, p);
        }
      }
      if (running.size === 0) {
        // Nothing running and nothing startable: whatever is left waits on something that will never come.
        for (const id of [...pending]) markNotRun(id, stopped ?? { kind: 'cancelled' });
        resolveAll();
      }
    };
    internal.signal.addEventListener('abort', () => {
      stopped ??= { kind: 'cancelled' };
    });
    pump();
  });

  opts.signal?.removeEventListener('abort', onOuterAbort);
  return { results, notRun, startOrder };
}

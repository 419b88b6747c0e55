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

  const markNotRun = (id: string, cause: NotRunCause) => {
    pending.delete(id);
    notRun.set(id, cause);
    opts.onNotRun?.(id, cause);
  };

  /** Settle what can be settled without running: tasks whose needs failed or never ran. */
  const propagate = () => {
    let changed = true;
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
  };

  const ready = (): Task<R>[] =>
    [...pending]
      .map((id) => byId.get(id)!)
      .filter((t) => t.needs.every((n) => !byId.has(n) || (results.has(n) && !failed.has(n))));

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
              if (!opts.succeeded(r)) {
                failed.add(task.id);
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

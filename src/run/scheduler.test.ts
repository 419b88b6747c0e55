import { describe, expect, it } from 'vitest';
import { schedule, type Task } from './scheduler.js';

type R = { ok: boolean };

/** A task that finishes when the test says so, so order is controlled by the test, not by time. */
function controlled(id: string, needs: string[] = []) {
  let finish!: (r: R) => void;
  const started = { value: false, signal: undefined as AbortSignal | undefined };
  const task: Task<R> = {
    id,
    needs,
    run: (signal) => {
      started.value = true;
      started.signal = signal;
      return new Promise<R>((res) => {
        finish = res;
        signal.addEventListener('abort', () => res({ ok: false }));
      });
    },
  };
  return { task, started, finish: (ok = true) => finish({ ok }) };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('schedule', () => {
  it('starts a gate only after its needs succeeded, and honours the concurrency limit', async () => {
    const a = controlled('a');
    const b = controlled('b');
    const c = controlled('c', ['a', 'b']);
    const done = schedule([a.task, b.task, c.task], { concurrency: 1, succeeded: (r) => r.ok, crashed: () => ({ ok: false }) });
    await tick();
    expect([a.started.value, b.started.value, c.started.value]).toEqual([true, false, false]);
    a.finish();
    await tick();
    expect([b.started.value, c.started.value]).toEqual([true, false]);
    b.finish();
    await tick();
    expect(c.started.value).toBe(true);
    c.finish();
    const res = await done;
    expect(res.startOrder).toEqual(['a', 'b', 'c']);
  });

  it('runs independent branches at once up to the limit', async () => {
    const a = controlled('a');
    const b = controlled('b');
    const c = controlled('c');
    const done = schedule([a.task, b.task, c.task], { concurrency: 2, succeeded: (r) => r.ok, crashed: () => ({ ok: false }) });
    await tick();
    expect([a.started.value, b.started.value, c.started.value]).toEqual([true, true, false]);
    b.finish();
    await tick();
    expect(c.started.value).toBe(true);
    a.finish();
    c.finish();
    await done;
  });

  it('does not run dependents of a failed gate, transitively, and says why', async () => {
    const a = controlled('a');
    const b = controlled('b', ['a']);
    const c = controlled('c', ['b']);
    const done = schedule([a.task, b.task, c.task], { concurrency: 4, succeeded: (r) => r.ok, crashed: () => ({ ok: false }) });
    await tick();
    a.finish(false);
    const res = await done;
    expect(b.started.value).toBe(false);
    expect(res.notRun.get('b')).toEqual({ kind: 'need', need: 'a', needResult: 'failed' });
    expect(res.notRun.get('c')).toEqual({ kind: 'need', need: 'b', needResult: 'not-run' });
  });

  it('with fail-fast, cancels running gates and starts nothing more', async () => {
    const a = controlled('a');
    const b = controlled('b');
    const c = controlled('c', ['b']);
    const done = schedule([a.task, b.task, c.task], { concurrency: 4, failFast: true, succeeded: (r) => r.ok, crashed: () => ({ ok: false }) });
    await tick();
    a.finish(false);
    const res = await done;
    expect(b.started.signal?.aborted).toBe(true);
    expect(res.notRun.get('c')).toBeDefined();
  });

  it('turns a task that throws into a failed result', async () => {
    const boom: Task<R> = { id: 'x', needs: [], run: () => Promise.reject(new Error('bug')) };
    const res = await schedule([boom], { concurrency: 1, succeeded: (r) => r.ok, crashed: () => ({ ok: false }) });
    expect(res.results.get('x')).toEqual({ ok: false });
  });

  it('on cancellation, marks what has not started as not run', async () => {
    const ac = new AbortController();
    const a = controlled('a');
    const b = controlled('b', ['a']);
    const done = schedule([a.task, b.task], { concurrency: 1, signal: ac.signal, succeeded: (r) => r.ok, crashed: () => ({ ok: false }) });
    await tick();
    ac.abort();
    const res = await done;
    expect(a.started.signal?.aborted).toBe(true);
    expect(res.notRun.get('b')?.kind).toMatch(/cancelled|need/);
  });
});

/**
 * The scheduler as it was before it kept its ready queue incrementally: after every end, rescan
 * every pending task's needs. Kept here as the oracle the incremental one must agree with.
 */
async function rescanSchedule(tasks: readonly Task<R>[], opts: { concurrency: number; failFast?: boolean; onNotRun?: (id: string, cause: unknown) => void }) {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const results = new Map<string, R>();
  const notRun = new Map<string, unknown>();
  const startOrder: string[] = [];
  const running = new Set<string>();
  const failed = new Set<string>();
  const pending = new Set(tasks.map((t) => t.id));
  const internal = new AbortController();
  let stopped: unknown;
  const markNotRun = (id: string, cause: unknown) => {
    pending.delete(id);
    notRun.set(id, cause);
    opts.onNotRun?.(id, cause);
  };
  const propagate = () => {
    let changed = true;
    while (changed) {
      changed = false;
      for (const id of [...pending]) {
        for (const need of byId.get(id)!.needs) {
          if (!byId.has(need)) continue;
          if (failed.has(need) || notRun.has(need)) {
            markNotRun(id, { kind: 'need', need, needResult: failed.has(need) ? 'failed' : 'not-run' });
            changed = true;
            break;
          }
        }
      }
    }
  };
  const ready = () => [...pending].map((id) => byId.get(id)!).filter((t) => t.needs.every((n) => !byId.has(n) || (results.has(n) && !failed.has(n))));
  await new Promise<void>((resolveAll) => {
    const pump = () => {
      if (stopped) for (const id of [...pending]) markNotRun(id, stopped);
      propagate();
      if (!stopped) {
        for (const task of ready()) {
          if (running.size >= opts.concurrency) break;
          pending.delete(task.id);
          startOrder.push(task.id);
          running.add(task.id);
          void task
            .run(internal.signal)
            .then((r) => {
              results.set(task.id, r);
              if (!r.ok) {
                failed.add(task.id);
                if (opts.failFast && !stopped) stopped = { kind: 'fail-fast', by: task.id };
              }
            })
            .finally(() => {
              running.delete(task.id);
              pump();
            });
        }
      }
      if (running.size === 0) {
        for (const id of [...pending]) markNotRun(id, stopped ?? { kind: 'cancelled' });
        resolveAll();
      }
    };
    pump();
  });
  return { results, notRun, startOrder };
}

/** A small deterministic random number generator (the graphs must be the same on every run). */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

describe('schedule, against the rescan it replaced', () => {
  it('HOSTILE: starts, skips and blames the same tasks in the same order on 300 random graphs (failures, fail-fast, unknown and repeated needs)', async () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rnd = lcg(seed);
      const n = 2 + Math.floor(rnd() * 25);
      // Each task: needs among the earlier ones (sometimes repeated, sometimes unknown), how many
      // turns of the event loop it takes, and whether it fails.
      const spec = Array.from({ length: n }, (_, i) => ({
        id: `t${i}`,
        needs: Array.from({ length: Math.floor(rnd() * 4) }, () => (rnd() < 0.1 ? 'elsewhere' : `t${Math.floor(rnd() * i)}`)).filter((x) => x !== `t${i}`),
        turns: Math.floor(rnd() * 4),
        ok: rnd() > 0.2,
      }));
      const concurrency = 1 + Math.floor(rnd() * 5);
      const failFast = rnd() < 0.3;
      const make = (log: string[]): Task<R>[] =>
        spec.map((s) => ({
          id: s.id,
          needs: s.needs,
          run: async () => {
            log.push(`start ${s.id}`);
            for (let k = 0; k < s.turns; k++) await new Promise((r) => setImmediate(r));
            log.push(`end ${s.id}`);
            return { ok: s.ok };
          },
        }));
      const mineLog: string[] = [];
      const theirsLog: string[] = [];
      const mine = await schedule(make(mineLog), {
        concurrency,
        failFast,
        succeeded: (r) => r.ok,
        crashed: () => ({ ok: false }),
        onNotRun: (id, cause) => mineLog.push(`not-run ${id} ${JSON.stringify(cause)}`),
      });
      const theirs = await rescanSchedule(make(theirsLog), { concurrency, failFast, onNotRun: (id, cause) => theirsLog.push(`not-run ${id} ${JSON.stringify(cause)}`) });
      expect({ seed, log: mineLog }).toEqual({ seed, log: theirsLog });
      expect({ seed, order: mine.startOrder, notRun: [...mine.notRun] }).toEqual({ seed, order: theirs.startOrder, notRun: [...theirs.notRun] });
      // Every task is accounted for: it ran, or it says why not.
      expect(mine.results.size + mine.notRun.size).toBe(n);
    }
  });
});

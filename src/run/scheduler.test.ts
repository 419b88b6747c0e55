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
